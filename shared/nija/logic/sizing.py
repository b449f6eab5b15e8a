"""How much a strategy entry buys: the user's position share of their equity, at the last close.

Equity is the latest valuation recorded at each of the user's brokers: by the executor before every
order, by each reconciliation (a minute after a fill and on the broker's sweep), and when the user
connects the broker (the executor reconciles them within a minute). The scan reads only these records,
never a broker (it holds no keys): a user not valued yet is skipped (`not_valued`) until one of those
runs.
The executor's pre-trade checks still hold every order to the user's limits on live balances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from nija.domain.models import BrokerName
from nija.domain.money import ZERO
from nija.logic.pretrade import RiskStore
from nija.logic.scan import NotValued


@dataclass
class EquitySizer:
    risk: RiskStore

    def entry_quantity(self, user_id: str, broker: BrokerName, symbol: str, price: Decimal) -> Decimal | None:
        if price <= ZERO:
            return None
        equities, _ = self.risk.equity_state(user_id)
        if not equities:
            raise NotValued(user_id)
        equity = sum(equities.values(), ZERO)
        if equity <= ZERO:
            return None
        return self.risk.settings(user_id).position_share * equity / price
