"""How much a strategy entry buys: the user's position share of their equity, at the last close.

Equity is the latest valuation the executor recorded at each of the user's brokers (it values the
account before every order); a user with none yet is valued once at the broker. The executor's
pre-trade checks still hold every order to the user's limits on live balances."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from nija.domain.instruments import instrument
from nija.domain.models import BrokerName
from nija.domain.money import ZERO
from nija.logic.pretrade import RiskStore, broker_equity
from nija.ports.broker import Broker


@dataclass
class EquitySizer:
    risk: RiskStore
    broker: Callable[[BrokerName], Broker]

    def entry_quantity(self, user_id: str, broker: BrokerName, symbol: str, price: Decimal) -> Decimal | None:
        if price <= ZERO:
            return None
        equities, _ = self.risk.equity_state(user_id)
        equity = sum(equities.values(), ZERO)
        if not equities:
            equity = self._valued_at_the_broker(user_id, broker, symbol)
        if equity <= ZERO:
            return None
        return self.risk.settings(user_id).position_share * equity / price

    def _valued_at_the_broker(self, user_id: str, broker: BrokerName, symbol: str) -> Decimal:
        venue = self.broker(broker)
        quote = instrument(broker, symbol).quote
        return broker_equity(venue.account(user_id).balances(), quote, venue.mark_price)
