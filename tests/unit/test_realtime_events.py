"""A state-table change to the event its user sees (nija.domain.realtime), and nothing for the rest."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from nija.adapters.dynamo.stream_records import WATCHED_SORT_KEY_PREFIXES, user_event, watched

USER = "u-1"
T = "2025-01-02T03:04:05.123456+0000"


def order(**changes: Any) -> dict[str, Any]:
    item = {
        "pk": f"USER#{USER}",
        "sk": "ORDER#o-1",
        "order_id": "o-1",
        "client_order_id": "nija-o-1",
        "user_id": USER,
        "broker": "paper",
        "symbol": "BTC/USD",
        "side": "buy",
        "order_type": "market",
        "quantity": "0.01",
        "status": "queued",
        "filled_quantity": "0",
        "fees": "0",
        "cancel_requested": Decimal(0),
        "created_at": T,
        "updated_at": T,
    }
    return {**item, **changes}


def keys(item: dict[str, Any]) -> dict[str, Any]:
    return {"pk": item["pk"], "sk": item["sk"]}


def test_a_new_order_is_an_order_event_for_its_user() -> None:
    new = order()
    update = user_event("INSERT", keys(new), new, None)
    assert update is not None and update.user_id == USER
    assert update.event["type"] == "order"
    assert update.event["order_id"] == "o-1" and update.event["status"] == "queued"
    assert update.event["order_type"] == "market"
    assert update.event["updated_at"] == "2025-01-02T03:04:05.123456+00:00"


def test_a_status_change_is_an_event_and_a_bookkeeping_write_is_not() -> None:
    old = order(status="submitted")
    filled = order(status="filled", filled_quantity="0.01", average_fill_price="50000")
    update = user_event("MODIFY", keys(filled), filled, old)
    assert update is not None and update.event["status"] == "filled"
    assert update.event["filled_quantity"] == "0.01" and update.event["average_fill_price"] == "50000"
    same = order(status="submitted", cancel_requested=Decimal(1))
    assert user_event("MODIFY", keys(same), same, old) is None


def test_a_risk_check_refusal_is_a_risk_refusal() -> None:
    new = order(status="rejected", reason_code="daily_loss_limit", reason_message="down 5% today")
    update = user_event("MODIFY", keys(new), new, order())
    assert update is not None
    assert update.event["type"] == "risk_refusal"
    assert update.event["reason_code"] == "daily_loss_limit"
    assert update.event["reason_message"] == "down 5% today"


def test_a_broker_rejection_is_an_order_event() -> None:
    new = order(status="rejected", reason_code="insufficient_funds")
    update = user_event("MODIFY", keys(new), new, order(status="submitted"))
    assert update is not None and update.event["type"] == "order"
    assert update.event["reason_code"] == "insufficient_funds"


def test_a_recorded_trade_is_a_fill() -> None:
    trade = {
        "pk": f"USER#{USER}",
        "sk": "TRADE#paper#o-1#t-1",
        "user_id": USER,
        "broker": "paper",
        "order_id": "o-1",
        "trade_id": "t-1",
        "symbol": "BTC/USD",
        "side": "buy",
        "quantity": "0.01",
        "price": "50000.5",
        "fee": "0.5",
        "realized_pnl": "0",
        "timestamp": T,
    }
    update = user_event("INSERT", keys(trade), trade, None)
    assert update is not None and update.user_id == USER
    assert update.event == {
        "type": "fill",
        "order_id": "o-1",
        "trade_id": "t-1",
        "broker": "paper",
        "symbol": "BTC/USD",
        "side": "buy",
        "quantity": "0.01",
        "price": "50000.5",
        "fee": "0.5",
        "realized_pnl": "0",
        "timestamp": "2025-01-02T03:04:05.123456+00:00",
    }
    assert user_event("REMOVE", keys(trade), None, trade) is None  # a trade is never taken back


def position(quantity: str) -> dict[str, Any]:
    return {
        "pk": f"USER#{USER}",
        "sk": "POS#paper#BTC/USD",
        "user_id": USER,
        "broker": "paper",
        "symbol": "BTC/USD",
        "quantity": quantity,
        "average_price": "50000",
        "realized_pnl": "0",
        "version": Decimal(2),
        "updated_at": T,
    }


def test_a_position_change_and_its_removal() -> None:
    update = user_event("MODIFY", keys(position("0.02")), position("0.02"), position("0.01"))
    assert update is not None and update.event["type"] == "position"
    assert update.event["quantity"] == "0.02" and update.event["symbol"] == "BTC/USD"
    gone = user_event("REMOVE", keys(position("0.02")), None, position("0.02"))
    assert gone is not None and gone.event["quantity"] == "0"
    assert user_event("MODIFY", keys(position("0.02")), position("0.02"), position("0.02")) is None


def test_the_users_kill_switch_engaged_and_released() -> None:
    switch = {
        "pk": f"USER#{USER}",
        "sk": "SWITCH",
        "scope": "user",
        "target": USER,
        "mode": "halted",
        "engaged_by": USER,
        "reason": "stop",
        "engaged_at": T,
    }
    on = user_event("INSERT", keys(switch), switch, None)
    assert on is not None and on.event["type"] == "kill_switch"
    assert on.event["engaged"] is True and on.event["mode"] == "halted" and on.event["reason"] == "stop"
    off = user_event("REMOVE", keys(switch), None, switch)
    assert off is not None and off.event["engaged"] is False


@pytest.mark.parametrize(
    ("pk", "sk"),
    [
        ("CANDLES#paper#BTC/USD#1h", "1700000000#100"),
        ("THROTTLE#binance", "BUCKET"),
        ("CONTROL", "SWITCH#global"),
        ("CONTROL", "BREAKER#paper"),
        ("PAPER#u-1", "ORDER#c-1"),
        ("PAPER#u-1", "BAL#USD"),
        ("CONN#abc=", "CONN"),
        ("USER#u-1", "WS#abc="),
        ("USER#u-1", "REQUEST#k-1"),
        ("USER#u-1", "EQUITY#paper"),
        ("USER#u-1", "STRATEGY"),
        ("LOGIN#abc", "GUARD"),
    ],
)
def test_items_no_user_watches_make_no_event(pk: str, sk: str) -> None:
    item = {"pk": pk, "sk": sk, "status": "filled", "quantity": "1"}
    assert not watched(keys(item))
    for name in ("INSERT", "MODIFY", "REMOVE"):
        assert user_event(name, keys(item), item, item) is None


def test_the_filter_prefixes_cover_every_event_type() -> None:
    assert WATCHED_SORT_KEY_PREFIXES == ("ORDER#", "TRADE#", "POS#", "SWITCH", "PROFILE")


def test_a_profile_speaks_only_when_trading_is_disabled() -> None:
    keys = {"pk": "USER#u-1", "sk": "PROFILE"}
    off = {
        "email": "a@example.com",
        "api_key": "secret-key",
        "trading_disabled_reason": "5 broker errors in a row",
    }
    on = {"email": "a@example.com", "api_key": "secret-key"}
    event = user_event("MODIFY", keys, off, on)
    assert event is not None and event.event == {
        "type": "trading_disabled",
        "reason": "5 broker errors in a row",
    }
    assert user_event("MODIFY", keys, off, off) is None  # still disabled: nothing new
    assert user_event("MODIFY", keys, {**on, "tier": "pro"}, on) is None  # any other profile change
    assert user_event("INSERT", keys, on, None) is None
    erasing = user_event("MODIFY", keys, {**on, "trading_disabled_reason": "account_deletion"}, on)
    assert erasing is not None and erasing.event == {"type": "account_deleted"}  # the erasure: no pause
    paused_first = user_event("MODIFY", keys, {**on, "trading_disabled_reason": "account_deletion"}, off)
    assert paused_first is not None and paused_first.event == {"type": "account_deleted"}
    deleting = {**on, "trading_disabled_reason": "account_deletion"}
    assert user_event("MODIFY", keys, deleting, deleting) is None  # said once


def test_a_users_connection_items_are_connection_changes_not_events() -> None:
    from nija.adapters.dynamo.stream_records import connection_change, streamed
    from nija.domain.realtime import ConnectionChange

    keys = {"pk": "USER#u1", "sk": "WS#abc="}
    assert streamed(keys)  # the event source passes them: the processor keeps its map of them
    assert user_event("INSERT", keys, {"connection_id": "abc="}, None) is None
    assert connection_change("INSERT", keys) == ConnectionChange("u1", "abc=", opened=True)
    assert connection_change("REMOVE", keys) == ConnectionChange("u1", "abc=", opened=False)  # or the TTL
    assert connection_change("INSERT", {"pk": "CONN#abc=", "sk": "CONN"}) is None
    assert connection_change("INSERT", {"pk": "USER#u1", "sk": "ORDER#1"}) is None
