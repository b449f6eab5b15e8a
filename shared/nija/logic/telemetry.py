"""Events the stream processor sees, as time-series points (nija.ports.timeseries)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from nija.domain.models import Trade
from nija.ports.timeseries import TimePoint


def fill_points(trade: Trade) -> list[TimePoint]:
    dims = {
        "user_id": trade.user_id,
        "broker": trade.broker.value,
        "symbol": trade.symbol,
        "side": trade.side.value,
    }
    return [
        TimePoint(measure="fill_price", value=trade.price, at=trade.timestamp, dimensions=dims),
        TimePoint(measure="fill_quantity", value=trade.quantity, at=trade.timestamp, dimensions=dims),
        TimePoint(measure="realized_pnl", value=trade.realized_pnl, at=trade.timestamp, dimensions=dims),
    ]


def equity_point(user_id: str, equity: Decimal, at: datetime) -> TimePoint:
    return TimePoint(measure="equity", value=equity, at=at, dimensions={"user_id": user_id})


def latency_point(stage: str, milliseconds: float, at: datetime, **dimensions: str) -> TimePoint:
    """How long a step took (e.g. stage="fill_to_push"): dimensions say whose and where."""
    value = Decimal(str(round(milliseconds, 3)))
    return TimePoint(measure="latency_ms", value=value, at=at, dimensions={"stage": stage, **dimensions})
