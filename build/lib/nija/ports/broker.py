"""The broker port: one user's account at one broker."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from pydantic import Field

from nija.domain.models import BrokerName, Fill, Frozen, Money, OrderType, Side
from nija.domain.money import ZERO
from nija.domain.orders import OrderStatus


class BrokerOrderRequest(Frozen):
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None


class BrokerOrder(Frozen):
    """What the broker says about one order. Fills are cumulative: every execution so far."""

    broker_order_id: str
    client_order_id: str
    symbol: str
    status: OrderStatus
    filled_quantity: Money = ZERO
    fills: tuple[Fill, ...] = Field(default_factory=tuple)
    reason: str | None = None


class Balance(Frozen):
    asset: str
    free: Money
    total: Money


class BrokerAccount(Protocol):
    """One user's account at one broker. Every method may raise a nija.domain.errors.BrokerError."""

    broker: BrokerName

    def place_order(self, request: BrokerOrderRequest) -> BrokerOrder: ...

    def get_order(self, client_order_id: str) -> BrokerOrder | None: ...

    def cancel_order(self, client_order_id: str) -> BrokerOrder: ...

    def balances(self) -> dict[str, Balance]: ...


class Broker(Protocol):
    """Gives the account of a user; real brokers open it with the user's keys from the vault."""

    name: BrokerName

    def account(self, user_id: str) -> BrokerAccount: ...

    def mark_price(self, symbol: str) -> Decimal | None: ...
