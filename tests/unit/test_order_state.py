from decimal import Decimal

import pytest
from kit import an_order

from nija.domain.errors import DuplicateFill, InvalidTransition
from nija.domain.ids import client_order_id, intent_id
from nija.domain.models import Fill
from nija.domain.orders import TRANSITIONS, Order, OrderStatus


def make_order(qty: str = "2") -> Order:
    return an_order(quantity=qty)


def fill(trade_id: str, qty: str, price: str = "100", fee: str = "0.1") -> Fill:
    return Fill(trade_id=trade_id, quantity=Decimal(qty), price=Decimal(price), fee=Decimal(fee))


def test_happy_path_reaches_filled_with_average_price() -> None:
    order = make_order()
    order.transition(OrderStatus.SUBMITTED)
    order.transition(OrderStatus.ACCEPTED)
    order.apply_fill(fill("t1", "0.5", "100"))
    assert order.status is OrderStatus.PARTIALLY_FILLED
    order.apply_fill(fill("t2", "1.5", "104"))
    assert order.status is OrderStatus.FILLED
    assert order.filled_quantity == Decimal("2")
    assert order.average_fill_price == Decimal("103")
    assert order.fees == Decimal("0.2")


def test_repeated_fill_is_refused_and_changes_nothing() -> None:
    order = make_order()
    order.transition(OrderStatus.SUBMITTED)
    order.apply_fill(fill("t1", "1"))
    snapshot = order.model_dump()
    with pytest.raises(DuplicateFill):
        order.apply_fill(fill("t1", "1"))
    assert order.model_dump() == snapshot


def test_overfill_is_refused() -> None:
    order = make_order("1")
    order.transition(OrderStatus.SUBMITTED)
    with pytest.raises(InvalidTransition):
        order.apply_fill(fill("t1", "1.5"))


def test_fill_on_a_queued_order_is_refused() -> None:
    with pytest.raises(InvalidTransition):
        make_order().apply_fill(fill("t1", "1"))


@pytest.mark.parametrize(
    "terminal", [OrderStatus.FILLED, OrderStatus.CANCELED, OrderStatus.REJECTED, OrderStatus.EXPIRED]
)
def test_terminal_states_accept_no_transition(terminal: OrderStatus) -> None:
    assert TRANSITIONS[terminal] == frozenset()
    order = make_order()
    order.status = terminal
    for target in OrderStatus:
        if target is not terminal:
            with pytest.raises(InvalidTransition):
                order.transition(target)


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s in OrderStatus for t in OrderStatus if t not in TRANSITIONS[s] and s is not t],
)
def test_every_transition_outside_the_table_is_refused(start: OrderStatus, target: OrderStatus) -> None:
    order = make_order()
    order.status = start
    with pytest.raises(InvalidTransition):
        order.transition(target)


def test_reject_records_reason() -> None:
    order = make_order()
    order.reject("insufficient_funds", "not enough USD")
    assert order.status is OrderStatus.REJECTED
    assert (order.reason_code, order.reason_message) == ("insufficient_funds", "not enough USD")


def test_ids_are_deterministic_and_distinct() -> None:
    a = intent_id("u1", "manual:r1", "BTC/USD", "buy")
    assert a == intent_id("u1", "manual:r1", "BTC/USD", "buy")
    assert a != intent_id("u2", "manual:r1", "BTC/USD", "buy")
    assert a != intent_id("u1", "manual:r2", "BTC/USD", "buy")
    assert a != intent_id("u1", "manual:r1", "BTC/USD", "sell")
    coid = client_order_id(a)
    assert coid == client_order_id(a) and len(coid) <= 32 and coid.isalnum()
