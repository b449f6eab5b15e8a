"""State-table stream records as time-series points (nija.logic.telemetry.stream_points)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from nija.adapters.dynamo.stream_records import stream_points

NOW = datetime(2026, 3, 1, 12, 0, 1, 250000, tzinfo=UTC)
TRADE = {
    "broker": "paper",
    "symbol": "BTC/USD",
    "side": "sell",
    "price": "101.5",
    "quantity": "0.5",
    "realized_pnl": "-2",
    "timestamp": "2026-03-01T12:00:00.000000+0000",
}


def test_a_fill_makes_its_points_and_its_latency_to_the_push() -> None:
    points = stream_points("INSERT", {"pk": "USER#u1", "sk": "TRADE#paper#o1#t1"}, TRADE, NOW)
    values = {p.measure: p.value for p in points}
    assert values == {
        "fill_price": Decimal("101.5"),
        "fill_quantity": Decimal("0.5"),
        "realized_pnl": Decimal("-2"),
        "latency_ms": Decimal("1250.0"),
    }
    assert points[0].dimensions == {"user_id": "u1", "broker": "paper", "symbol": "BTC/USD", "side": "sell"}
    assert points[-1].dimensions == {"stage": "fill_to_push", "broker": "paper"}


def test_an_equity_snapshot_makes_an_equity_point() -> None:
    image = {"equity": "10250.5", "at": "2026-03-01T11:55:00.000000+0000"}
    (point,) = stream_points("MODIFY", {"pk": "USER#u1", "sk": "EQSNAP#2026-03-01T11:55"}, image, NOW)
    assert (point.measure, point.value, point.dimensions) == ("equity", Decimal("10250.5"), {"user_id": "u1"})


def test_nothing_else_makes_a_point() -> None:
    assert stream_points("MODIFY", {"pk": "USER#u1", "sk": "TRADE#x"}, TRADE, NOW) == []  # fills are inserts
    assert stream_points("REMOVE", {"pk": "USER#u1", "sk": "EQSNAP#x"}, None, NOW) == []
    assert stream_points("INSERT", {"pk": "USER#u1", "sk": "ORDER#o1"}, {"status": "queued"}, NOW) == []
    assert stream_points("INSERT", {"pk": "USER#u1", "sk": "TRADE#x"}, {**TRADE, "price": "n/a"}, NOW) == []
