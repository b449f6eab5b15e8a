"""Storage ports. The DynamoDB adapter implements them; unit tests may use the in-memory one.

A write that takes `audit` stores that event with the change, atomically (nija.domain.audit_outbox):
the event reaches its audit chain if and only if the change was made."""

from __future__ import annotations

from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.models import BrokerName, Fill, Position, Trade, User
from nija.domain.orders import Order, OrderStatus


class UserStore(Protocol):
    def get_user(self, user_id: str) -> User | None: ...

    def put_user(self, user: User) -> None: ...

    def update_user(self, user_id: str, audit: AuditEvent | None = None, **fields: object) -> User | None:
        """Change only the named fields (the rest as another writer left them); None: no such user."""
        ...


class OrderStore(Protocol):
    def create_order(self, order: Order, audit: AuditEvent | None = None) -> tuple[Order, bool]:
        """Write the order if its id is new. Returns the stored order and whether this call wrote it."""
        ...

    def claim_request_key(self, user_id: str, key: str, order_id: str) -> None:
        """Bind a client's Idempotency-Key to one order; Conflict if it is bound to another."""
        ...

    def get_order(self, user_id: str, order_id: str) -> Order | None: ...

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]: ...

    def claim_for_submission(self, order: Order) -> tuple[Order, bool]:
        """Conditionally move the order to submitted (creating it if absent) before any broker call.

        Returns the stored order and True when this call claimed it; False means another delivery got
        there first (or the order was canceled while queued) and the stored state must be followed.
        """
        ...

    def save_order(
        self, order: Order, expected: OrderStatus, expected_fills: int, audit: AuditEvent | None = None
    ) -> None:
        """Replace the order if its stored status and fill count are still the expected ones, else Conflict."""
        ...

    def request_cancel(self, order: Order, audit: AuditEvent | None = None) -> Order | None:
        """Cancel a queued order, or flag an open one for cancel at the broker.

        Returns the order as stored afterwards, or None when it had already reached a final state.
        """
        ...

    def open_orders(self, broker: BrokerName, limit: int | None = None) -> list[Order]: ...


class Ledger(Protocol):
    def record_fill(
        self, order: Order, fill: Fill, position: Position, trade: Trade, audit: AuditEvent | None = None
    ) -> bool:
        """Atomically store the trade, the order with the fill applied and the new position.

        `order` and `position` carry their new state; the write succeeds only if nobody changed
        either since they were read. Returns False when the trade id was recorded before.
        """
        ...

    def get_position(self, user_id: str, broker: BrokerName, symbol: str) -> Position | None: ...

    def list_positions(self, user_id: str) -> list[Position]: ...

    def list_trades(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Trade], str | None]: ...
