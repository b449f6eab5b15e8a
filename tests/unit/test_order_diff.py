"""diff_order: how the broker's view of an open order differs from ours, as data."""

from __future__ import annotations

from decimal import Decimal

from kit import a_fill, an_order

from nija.domain.audit import Outcome
from nija.domain.models import Fill, OrderType
from nija.domain.orders import Order, OrderStatus
from nija.logic.order_diff import OrderDifferenceKind as Kind
from nija.logic.order_diff import audit_event, diff_order
from nija.ports.broker import BrokerOrder

S = OrderStatus


def accepted(qty: str = "2") -> Order:
    order = an_order(symbol="SOL/USD", type=OrderType.LIMIT, quantity=qty, limit_price="100")
    order.transition(S.SUBMITTED)
    order.transition(S.ACCEPTED)
    order.broker_order_id = "b-1"
    return order


def fill(trade_id: str, qty: str) -> Fill:
    return a_fill(trade_id, qty)


def remote(order: Order, status: OrderStatus, *fills: Fill) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id="b-1",
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        status=status,
        filled_quantity=sum((f.quantity for f in {f.trade_id: f for f in fills}.values()), Decimal(0)),
        fills=fills,
    )


def test_nothing_changed_is_no_difference() -> None:
    order = accepted()
    assert diff_order(order, remote(order, S.ACCEPTED)) == []


def test_a_partial_fill_already_recorded_is_no_difference() -> None:
    order = accepted()
    order.apply_fill(fill("t1", "0.5"))
    assert diff_order(order, remote(order, S.PARTIALLY_FILLED, fill("t1", "0.5"))) == []


def test_a_fill_that_completes_the_order_is_one_difference_not_two() -> None:
    order = accepted()
    (diff,) = diff_order(order, remote(order, S.FILLED, fill("t1", "2")))
    assert diff.kind is Kind.FILLS and diff.action == "reconcile.order_fills"
    assert (diff.ours_status, diff.theirs_status) == (S.ACCEPTED, S.FILLED)
    assert (diff.ours_filled, diff.theirs_filled) == (Decimal(0), Decimal(2))
    assert diff.new_trade_ids == ("t1",)


def test_a_new_partial_fill_names_only_the_trades_we_have_not_recorded() -> None:
    order = accepted()
    order.apply_fill(fill("t1", "0.5"))
    reported = remote(order, S.PARTIALLY_FILLED, fill("t1", "0.5"), fill("t2", "0.5"))
    (diff,) = diff_order(order, reported)
    assert (diff.kind, diff.new_trade_ids) == (Kind.FILLS, ("t2",))
    assert (diff.ours_status, diff.theirs_status) == (S.PARTIALLY_FILLED, S.PARTIALLY_FILLED)
    assert (diff.ours_filled, diff.theirs_filled) == (Decimal("0.5"), Decimal(1))


def test_a_fill_reported_more_than_once_is_named_once() -> None:
    order = accepted()
    (diff,) = diff_order(order, remote(order, S.FILLED, fill("t1", "2"), fill("t1", "2")))
    assert diff.new_trade_ids == ("t1",)


def test_a_cancel_at_the_broker_is_a_status_difference() -> None:
    order = accepted()
    (diff,) = diff_order(order, remote(order, S.CANCELED))
    assert diff.kind is Kind.STATUS and diff.action == "reconcile.order_status"
    assert (diff.ours_status, diff.theirs_status, diff.new_trade_ids) == (S.ACCEPTED, S.CANCELED, ())


def test_a_partial_fill_then_a_cancel_is_two_differences() -> None:
    order = accepted()
    fills, status = diff_order(order, remote(order, S.CANCELED, fill("t1", "0.5")))
    assert (fills.kind, fills.new_trade_ids) == (Kind.FILLS, ("t1",))
    assert (status.kind, status.theirs_status) == (Kind.STATUS, S.CANCELED)


def test_a_filled_quantity_without_the_trades_behind_it_is_still_a_fills_difference() -> None:
    order = accepted()
    reported = remote(order, S.ACCEPTED).model_copy(update={"filled_quantity": Decimal("0.5")})
    (diff,) = diff_order(order, reported)
    assert (diff.kind, diff.theirs_filled, diff.new_trade_ids) == (Kind.FILLS, Decimal("0.5"), ())


def test_an_order_still_submitted_that_the_broker_accepted_is_a_status_difference() -> None:
    order = accepted()
    order.status = S.SUBMITTED
    (diff,) = diff_order(order, remote(order, S.ACCEPTED))
    assert (diff.kind, diff.ours_status, diff.theirs_status) == (Kind.STATUS, S.SUBMITTED, S.ACCEPTED)


def test_an_order_the_broker_does_not_know_is_missing() -> None:
    order = accepted()
    (diff,) = diff_order(order, None)
    assert diff.kind is Kind.MISSING and diff.action == "reconcile.order_missing"
    assert (diff.theirs_status, diff.theirs_filled, diff.new_trade_ids) == (None, None, ())


def test_the_audit_event_names_the_order_both_sides_and_the_new_trades() -> None:
    order = accepted()
    (diff,) = diff_order(order, remote(order, S.FILLED, fill("t1", "1.5"), fill("t2", "0.5")))
    event = audit_event(diff)
    assert (event.action, event.outcome, event.subject, event.actor) == (
        "reconcile.order_fills",
        Outcome.FAILURE,
        "u1",
        "reconciliation",
    )
    assert event.details == {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "broker": "paper",
        "ours_status": "accepted",
        "theirs_status": "filled",
        "ours_filled": "0",
        "theirs_filled": "2",
        "new_trade_ids": "t1,t2",
    }


def test_the_audit_event_of_a_missing_order_says_so() -> None:
    order = accepted()
    (diff,) = diff_order(order, None)
    assert audit_event(diff).details == {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "broker": "paper",
        "ours_status": "accepted",
        "theirs_status": "missing",
        "ours_filled": "0",
    }
