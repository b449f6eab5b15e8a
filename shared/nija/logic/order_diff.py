"""Open orders against the broker: each difference between our record of an order and what the
broker reports, as data, and the audit event that records it. Pure: no store, no broker call."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.models import BrokerName, Fill, Frozen, Money
from nija.domain.money import fmt
from nija.domain.orders import Order, OrderStatus
from nija.ports.broker import BrokerOrder


class OrderDifferenceKind(StrEnum):
    STATUS = "order_status"  # the broker's status is not what our record (with its new fills) says
    FILLS = "order_fills"  # the broker has fills we have not recorded, or another filled quantity
    MISSING = "order_missing"  # the broker does not know the order at all


class OrderDifference(Frozen):
    kind: OrderDifferenceKind
    user_id: str
    broker: BrokerName
    order_id: str
    client_order_id: str
    ours_status: OrderStatus
    theirs_status: OrderStatus | None  # None: the broker does not know the order
    ours_filled: Money
    theirs_filled: Money | None
    new_trade_ids: tuple[str, ...] = ()

    @property
    def action(self) -> str:
        return f"reconcile.{self.kind.value}"


def diff_order(order: Order, remote: BrokerOrder | None) -> list[OrderDifference]:
    """Every way the broker's view of the order differs from ours; empty when they agree."""

    def difference(kind: OrderDifferenceKind, new_trade_ids: tuple[str, ...] = ()) -> OrderDifference:
        return OrderDifference(
            kind=kind,
            user_id=order.user_id,
            broker=order.broker,
            order_id=order.order_id,
            client_order_id=order.client_order_id,
            ours_status=order.status,
            theirs_status=remote.status if remote is not None else None,
            ours_filled=order.filled_quantity,
            theirs_filled=remote.filled_quantity if remote is not None else None,
            new_trade_ids=new_trade_ids,
        )

    if remote is None:
        return [difference(OrderDifferenceKind.MISSING)]
    # Keyed by trade id: a broker may report one execution more than once.
    new_fills: dict[str, Fill] = {}
    for fill in remote.fills:
        if fill.trade_id not in order.trade_ids:
            new_fills.setdefault(fill.trade_id, fill)
    differences = []
    if new_fills or remote.filled_quantity != order.filled_quantity:
        differences.append(difference(OrderDifferenceKind.FILLS, tuple(new_fills)))
    if remote.status is not status_after(order, new_fills.values()):
        differences.append(difference(OrderDifferenceKind.STATUS))
    return differences


def status_after(order: Order, fills: Iterable[Fill]) -> OrderStatus:
    """Our status once these new fills are recorded (as Order.apply_fill sets it). A status the fills
    explain (accepted -> filled) is one difference, the fills, not two."""
    added = [f.quantity for f in fills]
    if not added:
        return order.status
    filled = order.filled_quantity + sum(added)
    return OrderStatus.FILLED if filled >= order.quantity else OrderStatus.PARTIALLY_FILLED


def audit_event(diff: OrderDifference) -> AuditEvent:
    """The same shape as a balance difference (reconcile.difference): the user's record, by the
    reconciliation, FAILURE because our record and the broker's disagreed when it looked."""
    details = {
        "order_id": diff.order_id,
        "client_order_id": diff.client_order_id,
        "broker": diff.broker.value,
        "ours_status": diff.ours_status.value,
        "theirs_status": diff.theirs_status.value if diff.theirs_status is not None else "missing",
        "ours_filled": fmt(diff.ours_filled),
    }
    if diff.theirs_filled is not None:
        details["theirs_filled"] = fmt(diff.theirs_filled)
    if diff.new_trade_ids:
        details["new_trade_ids"] = ",".join(diff.new_trade_ids)
    return AuditEvent(
        action=diff.action,
        outcome=Outcome.FAILURE,
        subject=diff.user_id,
        actor="reconciliation",
        details=details,
    )
