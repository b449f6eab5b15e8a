"""The DynamoDB order store on moto: conditional writes, listing, page tokens and the ledger."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from kit import an_order

from nija.adapters.dynamo.ledger import DynamoLedger
from nija.adapters.dynamo.orders import DynamoOrders
from nija.domain.errors import Conflict, InvalidInput
from nija.domain.models import BrokerName, Fill, Position, Side, Trade
from nija.domain.orders import Order, OrderStatus

pytestmark = [pytest.mark.usefixtures("aws"), pytest.mark.members("u1", "u2")]
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def order(user: str, n: int) -> Order:
    return an_order(user, f"manual:{n}", created_at=T0 + timedelta(minutes=n))


def test_create_is_conditional() -> None:
    orders = DynamoOrders()
    o = order("u1", 1)
    assert orders.create_order(o) == (o, True)
    again, created = orders.create_order(o)
    assert not created and again.order_id == o.order_id


def test_claim_happens_once_and_not_after_cancel() -> None:
    orders = DynamoOrders()
    o = order("u1", 1)
    orders.create_order(o)
    first, claimed = orders.claim_for_submission(o)
    assert claimed and first.status is OrderStatus.SUBMITTED
    second, claimed_again = orders.claim_for_submission(o)
    assert not claimed_again and second.status is OrderStatus.SUBMITTED
    q = order("u1", 2)
    orders.create_order(q)
    assert orders.request_cancel(q).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    after, claimed = orders.claim_for_submission(q)
    assert not claimed and after.status is OrderStatus.CANCELED


def test_save_refuses_a_stale_copy() -> None:
    orders = DynamoOrders()
    o = order("u1", 1)
    orders.create_order(o)
    claimed, _ = orders.claim_for_submission(o)
    with pytest.raises(Conflict):
        orders.save_order(claimed, OrderStatus.QUEUED, 0)


def test_orders_list_newest_first_across_pages_and_only_the_callers() -> None:
    orders = DynamoOrders()
    for n in range(5):
        orders.create_order(order("u1", n))
    orders.create_order(order("u2", 9))
    seen, cursor = [], None
    while True:
        page, cursor = orders.list_orders("u1", 2, cursor)
        seen += page
        if cursor is None:
            break
    assert [o.source for o in seen] == [f"manual:{n}" for n in (4, 3, 2, 1, 0)]
    assert {o.user_id for o in seen} == {"u1"}


def test_a_page_token_for_another_users_partition_is_refused() -> None:
    orders = DynamoOrders()
    for n in range(3):
        orders.create_order(order("u2", n))
    _, cursor = orders.list_orders("u2", 1, None)
    assert cursor
    with pytest.raises(InvalidInput):
        orders.list_orders("u1", 1, cursor)
    forged = base64.urlsafe_b64encode(json.dumps({"nope": 1}).encode()).decode()
    for bad in (forged, "%%%", "bm90IGpzb24"):
        with pytest.raises(InvalidInput):
            orders.list_orders("u1", 1, bad)


def test_record_fill_once_per_trade_id() -> None:
    orders, ledger = DynamoOrders(), DynamoLedger()
    o = order("u1", 1)
    orders.create_order(o)
    o, _ = orders.claim_for_submission(o)
    fill = Fill(trade_id="t1", quantity=Decimal("1"), price=Decimal("100"), timestamp=T0)
    o.apply_fill(fill)
    position = Position(
        user_id="u1",
        broker=BrokerName.PAPER,
        symbol="BTC/USD",
        quantity=Decimal(1),
        average_price=Decimal(100),
        version=1,
    )
    trade = Trade(
        user_id="u1",
        broker=BrokerName.PAPER,
        order_id=o.order_id,
        trade_id="t1",
        symbol="BTC/USD",
        side=Side.BUY,
        quantity=Decimal(1),
        price=Decimal(100),
        timestamp=T0,
    )
    assert ledger.record_fill(o, fill, position, trade) is True
    assert ledger.record_fill(o, fill, position, trade) is False
    trades, _ = ledger.list_trades("u1", 10, None)
    assert [t.trade_id for t in trades] == ["t1"]
    assert orders.get_order("u1", o.order_id).status is OrderStatus.FILLED  # type: ignore[union-attr]
    assert ledger.get_position("u1", BrokerName.PAPER, "BTC/USD").quantity == Decimal(1)  # type: ignore[union-attr]
