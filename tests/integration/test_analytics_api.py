"""GET /v1/dashboard, /v1/analytics/equity and /v1/analytics/pnl/daily through the dashboard_api
handler on moto, on a small hand-made history: fills recorded through the executor's real path
(Executor.reconcile with what the broker reported), equity snapshots and day starts through the
risk store the executor uses, paper balances through the paper broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from nija import wiring
from nija.domain.models import BrokerName, Fill, OrderIntent, OrderType, Side, User, utcnow
from nija.domain.orders import Order, OrderStatus
from nija.domain.risk import RiskSettings
from nija.ports.broker import BrokerOrder
from tests.kit import an_executor

D = Decimal


@pytest.fixture
def dashboard_api(gateway_mode: None, aws: None, api: Any) -> Any:
    return api("dashboard_api")


def new_user(time_zone: str = "UTC") -> str:
    user_id = str(uuid.uuid4())
    wiring.users().put_user(User(user_id=user_id, email=f"{user_id[:8]}@nija.local"))
    wiring.risk_store().put_settings(user_id, RiskSettings(time_zone=time_zone))
    return user_id


def fill(user_id: str, symbol: str, side: str, qty: str, price: str, fee: str, at: datetime) -> None:
    """One order filled once, recorded as the executor records what the broker reports."""
    intent = OrderIntent(
        intent_id=uuid.uuid4().hex,
        client_order_id=uuid.uuid4().hex[:20],
        user_id=user_id,
        broker=BrokerName.PAPER,
        symbol=symbol,
        side=Side(side),
        type=OrderType.MARKET,
        quantity=D(qty),
        source="test",
        created_at=at,
    )
    order, _ = wiring.orders().claim_for_submission(Order.from_intent(intent))
    remote = BrokerOrder(
        broker_order_id=f"b-{intent.intent_id}",
        client_order_id=intent.client_order_id,
        symbol=symbol,
        status=OrderStatus.FILLED,
        filled_quantity=D(qty),
        fills=(
            Fill(trade_id=f"t-{intent.intent_id}", quantity=D(qty), price=D(price), fee=D(fee), timestamp=at),
        ),
    )
    executor = an_executor()
    executor.reconcile(order, remote)
    executor.reconcile(order, remote)  # reported again: recorded once


def test_dashboard_figures(dashboard_api: Any) -> None:
    user = new_user()
    now = utcnow()
    # BTC: buy 1 @ 100 (fee 1), sell 0.5 @ 120 (fee 1): realized -1 + 10 - 1 = 8, 0.5 left at 100.
    fill(user, "BTC/USD", "buy", "1", "100", "1", now - timedelta(minutes=30))
    fill(user, "BTC/USD", "sell", "0.5", "120", "1", now - timedelta(minutes=20))
    # ETH: buy 2 @ 50, sell 2 @ 45 (no fees): realized -10, closed.
    fill(user, "ETH/USD", "buy", "2", "50", "0", now - timedelta(minutes=15))
    fill(user, "ETH/USD", "sell", "2", "45", "0", now - timedelta(minutes=10))
    wiring.broker(BrokerName.PAPER).seed_balances(user, {"USD": D("1000"), "BTC": D("0.5")})  # type: ignore[attr-defined]
    # Recorded now: "40 minutes ago" would be yesterday in the first 40 minutes of a UTC day.
    wiring.risk_store().start_day(user, now - timedelta(hours=30), D("900"), now)

    r = dashboard_api("dashboard", user_id=user)
    assert r.status == 200, r.body
    body = r.body
    assert D(body["realized_pnl"]) == D("-2")
    [btc] = body["positions"]
    assert body["open_positions"] == 1
    assert (btc["symbol"], D(btc["quantity"]), D(btc["average_price"])) == ("BTC/USD", D("0.5"), D("100"))
    mark = D(btc["mark_price"])
    assert D(btc["unrealized_pnl"]) == D(body["unrealized_pnl"]) == (mark - 100) * D("0.5")
    assert D(body["cash"]) == D("1000")
    assert D(body["equity"]) == D("1000") + D("0.5") * mark
    assert D(body["day_start_equity"]) == D("900")
    assert D(body["today_pnl"]) == D(body["equity"]) - 900
    [paper] = body["brokers"]
    assert paper["broker"] == "paper" and paper["live"] is True

    # Another user's history never shows; a user without any has zeros and no day start.
    other = dashboard_api("dashboard", user_id=new_user())
    assert other.status == 200
    assert other.body["positions"] == [] and D(other.body["realized_pnl"]) == 0
    assert D(other.body["equity"]) == 0 and other.body["today_pnl"] is None


def test_day_start_falls_back_to_the_last_snapshot_before_the_day(dashboard_api: Any) -> None:
    user = new_user()
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    risk = wiring.risk_store()
    risk.record_snapshot(user, D("700"), today - timedelta(hours=2))
    risk.record_snapshot(user, D("750"), today - timedelta(minutes=3))  # the last one before midnight
    risk.record_snapshot(user, D("800"), today + timedelta(minutes=1))
    wiring.broker(BrokerName.PAPER).seed_balances(user, {"USD": D("780")})  # type: ignore[attr-defined]
    body = dashboard_api("dashboard", user_id=user).body
    assert D(body["day_start_equity"]) == D("750")
    assert D(body["today_pnl"]) == D("30")


def test_equity_series(dashboard_api: Any) -> None:
    user, other = new_user(), new_user()
    t0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    risk = wiring.risk_store()
    for minutes, equity in ((0, "100"), (2, "101"), (7, "102"), (61, "103"), (65, "104"), (130, "105")):
        risk.record_snapshot(user, D(equity), t0 + timedelta(minutes=minutes))
    risk.record_snapshot(other, D("999"), t0 + timedelta(minutes=1))

    def series(resolution: str, until: datetime = t0 + timedelta(hours=3)) -> list[tuple[str, str]]:
        r = dashboard_api(
            "analytics_equity",
            user_id=user,
            since=t0.isoformat().replace("+00:00", "Z"),
            until=until.isoformat().replace("+00:00", "Z"),
            resolution=resolution,
        )
        assert r.status == 200, r.body
        return [(p["at"][11:16], p["equity"]) for p in r.body["points"]]

    # Per 5 minutes the last valuation of each bucket stands (101 replaced 100).
    assert series("5m") == [
        ("10:02", "101"),
        ("10:07", "102"),
        ("11:01", "103"),
        ("11:05", "104"),
        ("12:10", "105"),
    ]
    assert series("1h") == [("10:07", "102"), ("11:05", "104"), ("12:10", "105")]
    assert series("1h", until=t0 + timedelta(minutes=65)) == [("10:07", "102"), ("11:01", "103")]
    bad = dashboard_api(
        "analytics_equity",
        user_id=user,
        since="2026-03-02T00:00:00Z",
        until="2026-03-01T00:00:00Z",
        resolution="5m",
    )
    assert bad.status == 422 and bad.error["code"]


@pytest.mark.parametrize(
    ("since", "until", "field"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-01T12:00:00Z", "since"),
        ("2026-03-01T00:00:00Z", "9999-12-31T23:59:59Z", "until"),
        ("1969-12-31T00:00:00Z", "1970-01-01T12:00:00Z", "since"),
    ],
)
def test_times_out_of_range_are_422(dashboard_api: Any, since: str, until: str, field: str) -> None:
    r = dashboard_api("analytics_equity", user_id="u-range", since=since, until=until, resolution="1h")
    assert r.status == 422 and r.error["field"] == field, r.body


def test_daily_pnl_in_the_users_time_zone(dashboard_api: Any) -> None:
    user = new_user("America/New_York")  # UTC-4 or -5: early UTC hours are the previous local evening
    new_york = ZoneInfo("America/New_York")
    now = utcnow()
    local_today = now.astimezone(new_york).date()
    midnight = datetime.combine(local_today, time(0), tzinfo=new_york).astimezone(UTC)
    yesterday = datetime.combine(local_today - timedelta(days=1), time(12), tzinfo=new_york).astimezone(UTC)
    # Yesterday (local): buy 1 @ 100, sell 1 @ 110 (fee 1 each): realized -1, +9; one winning close.
    fill(user, "BTC/USD", "buy", "1", "100", "1", yesterday - timedelta(hours=2))
    fill(user, "BTC/USD", "sell", "1", "110", "1", yesterday)
    # Today (local), between local midnight and now whatever the hour (even a minute past midnight):
    # buy 2 @ 100, sell 1 @ 90, sell 1 @ 120 (no fees): -10 and +20; one win in two.
    step = (now - midnight) / 4
    start = midnight + step
    fill(user, "ETH/USD", "buy", "2", "100", "0", start)
    fill(user, "ETH/USD", "sell", "1", "90", "0", start + step)
    fill(user, "ETH/USD", "sell", "1", "120", "0", start + 2 * step)
    fill(new_user("America/New_York"), "BTC/USD", "buy", "1", "1", "5", start)  # someone else's

    r = dashboard_api("analytics_pnl_daily", user_id=user, days="3")
    assert r.status == 200, r.body
    days = r.body["days"]
    assert [d["date"] for d in days] == [str(local_today - timedelta(days=n)) for n in (2, 1, 0)]
    assert days[0] == {
        "date": str(local_today - timedelta(days=2)),
        "realized_pnl": "0",
        "trades": 0,
        "closing_trades": 0,
        "wins": 0,
        "win_rate": None,
    }
    assert (D(days[1]["realized_pnl"]), days[1]["trades"], days[1]["closing_trades"], days[1]["wins"]) == (
        D(8),
        2,
        1,
        1,
    )
    assert D(days[1]["win_rate"]) == 1
    assert (D(days[2]["realized_pnl"]), days[2]["trades"], days[2]["closing_trades"], days[2]["wins"]) == (
        D(10),
        3,
        2,
        1,
    )
    assert D(days[2]["win_rate"]) == D("0.5")
    assert (D(r.body["realized_pnl"]), r.body["trades"], D(r.body["win_rate"])) == (D(18), 5, D("0.6667"))
    assert dashboard_api("analytics_pnl_daily", user_id=user, days="0").status == 422


def test_an_order_through_the_executor_keeps_a_snapshot(dashboard_api: Any) -> None:
    from nija.domain.messages import PlaceOrder
    from nija.local import identity

    user = new_user()
    paper = wiring.broker(BrokerName.PAPER)
    paper.seed_balances(user, {"USD": D("100000")})  # type: ignore[attr-defined]
    identity.connect_paper(user)
    intent = OrderIntent(
        intent_id=uuid.uuid4().hex,
        client_order_id=uuid.uuid4().hex[:20],
        user_id=user,
        broker=BrokerName.PAPER,
        symbol="BTC/USD",
        side=Side.BUY,
        type=OrderType.MARKET,
        quantity=D("0.01"),
        source="test",
    )
    executor = an_executor(paper, guard=wiring.guard())
    assert executor.place(PlaceOrder(intent=intent)).status is OrderStatus.FILLED
    now = utcnow()
    r = dashboard_api(
        "analytics_equity",
        user_id=user,
        since=(now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        until=(now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        resolution="5m",
    )
    [point] = r.body["points"]
    assert D(point["equity"]) == D("100000")  # valued before the order was sent


@pytest.mark.parametrize("case", ["dashboard_no_auth"])
def test_401_without_auth(dashboard_api: Any, case: str) -> None:
    r = dashboard_api(case)
    assert r.status == 401
    assert r.error["code"]
