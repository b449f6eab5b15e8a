"""The vault's check of a user's keys before they are sealed (its KeyChecker): connecting the paper
broker opens a paper account with the configured cash (seeding is idempotent: a returning user keeps
what they have); every broker's keys are then proven by a call through its client."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from nija.domain.credentials import BrokerCredentials, Permission
from nija.domain.models import BrokerName


class PaperAccounts(Protocol):
    def seed_balances(self, user_id: str, amounts: Mapping[str, Decimal]) -> object: ...


@dataclass(frozen=True)
class ConnectCheck:
    paper: Callable[[], PaperAccounts]  # opened on first use: only a paper connection needs it
    starting_cash: Decimal
    # The broker's own answer (nija.adapters.brokers.key_check): raises a BrokerError for bad keys.
    ask_broker: Callable[[BrokerCredentials, str], Permission]

    def __call__(self, credentials: BrokerCredentials, *, user_id: str) -> Permission:
        if credentials.broker is BrokerName.PAPER:
            self.paper().seed_balances(user_id, {"USD": self.starting_cash})
        return self.ask_broker(credentials, user_id)
