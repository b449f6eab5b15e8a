"""The order and its state machine: invalid transitions and repeated fills are refused."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from nija.domain.errors import DuplicateFill, InvalidTransition
from nija.domain.models import BrokerName, Fill, Money, OrderIntent, OrderType, Side, utcnow
from nija.domain.money import ZERO


class OrderStatus(StrEnum):
    QUEUED = "queued"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL

    @property
    def is_open(self) -> bool:
        return self in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED)


S = OrderStatus
TERMINAL = frozenset({S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED})
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.QUEUED: frozenset({S.SUBMITTED, S.CANCELED, S.REJECTED}),
    S.SUBMITTED: frozenset({S.ACCEPTED, S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.REJECTED, S.EXPIRED}),
    S.ACCEPTED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.PARTIALLY_FILLED: frozenset({S.PARTIALLY_FILLED, S.FILLED, S.CANCELED, S.EXPIRED}),
    S.FILLED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
    S.EXPIRED: frozenset(),
}


class Order(BaseModel):
    """A user's order as the platform records it. Mutated only through its methods."""

    model_config = ConfigDict(extra="forbid")

    order_id: str
    client_order_id: str
    user_id: str
    broker: BrokerName
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None
    status: OrderStatus = OrderStatus.QUEUED
    filled_quantity: Money = ZERO
    average_fill_price: Money | None = None
    fees: Money = ZERO
    broker_order_id: str | None = None
    reason_code: str | None = None
    reason_message: str | None = None
    cancel_requested: bool = False
    source: str = "manual"
    trade_ids: list[str] = Field(default_factory=list)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @classmethod
    def from_intent(cls, intent: OrderIntent) -> Order:
        return cls(
            order_id=intent.intent_id,
            client_order_id=intent.client_order_id,
            user_id=intent.user_id,
            broker=intent.broker,
            symbol=intent.symbol,
            side=intent.side,
            type=intent.type,
            quantity=intent.quantity,
            limit_price=intent.limit_price,
            source=intent.source,
            created_at=intent.created_at,
        )

    def to_intent(self) -> OrderIntent:
        """The intent this order was made from (to send it again while it is still queued)."""
        return OrderIntent(
            intent_id=self.order_id,
            client_order_id=self.client_order_id,
            user_id=self.user_id,
            broker=self.broker,
            symbol=self.symbol,
            side=self.side,
            type=self.type,
            quantity=self.quantity,
            limit_price=self.limit_price,
            source=self.source,
            created_at=self.created_at,
        )

    @property
    def remaining_quantity(self) -> Decimal:
        return self.quantity - self.filled_quantity

    def can_transition(self, to: OrderStatus) -> bool:
        return to in TRANSITIONS[self.status]

    def transition(
        self, to: OrderStatus, *, reason_code: str | None = None, reason: str | None = None
    ) -> None:
        if to == self.status and to is not OrderStatus.PARTIALLY_FILLED:
            return
        if not self.can_transition(to):
            raise InvalidTransition(f"order {self.order_id} cannot go from {self.status} to {to}")
        self.status = to
        if reason_code is not None:
            self.reason_code = reason_code
            self.reason_message = reason
        self.updated_at = utcnow()

    def reject(self, reason_code: str, reason: str) -> None:
        self.transition(OrderStatus.REJECTED, reason_code=reason_code, reason=reason)

    def apply_fill(self, fill: Fill) -> None:
        """Add one execution. A trade id seen before raises DuplicateFill and changes nothing."""
        if fill.trade_id in self.trade_ids:
            raise DuplicateFill(f"trade {fill.trade_id} already applied to order {self.order_id}")
        if fill.quantity <= ZERO:
            raise InvalidTransition(f"fill {fill.trade_id} has no quantity")
        if fill.quantity > self.remaining_quantity:
            raise InvalidTransition(
                f"fill {fill.trade_id} of {fill.quantity} exceeds the remaining {self.remaining_quantity}"
            )
        target = (
            OrderStatus.FILLED if fill.quantity == self.remaining_quantity else OrderStatus.PARTIALLY_FILLED
        )
        if not self.can_transition(target):
            raise InvalidTransition(f"order {self.order_id} in {self.status} cannot take a fill")
        notional = (self.average_fill_price or ZERO) * self.filled_quantity + fill.price * fill.quantity
        self.filled_quantity += fill.quantity
        self.average_fill_price = notional / self.filled_quantity
        self.fees += fill.fee
        self.trade_ids.append(fill.trade_id)
        self.status = target
        self.updated_at = utcnow()
