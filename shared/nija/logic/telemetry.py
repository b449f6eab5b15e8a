"""Events the stream processor sees, as time-series points (nija.ports.timeseries): each fill (price,
quantity, realized PnL, and how long it took from the broker's fill to the push), and each equity
snapshot the executor's valuation writes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from nija.domain.items import ItemKey, ItemKind
from nija.domain.models import Trade
from nija.domain.realtime import pynamodb_time
from nija.ports.timeseries import TimePoint


def _fill_points(
    dims: dict[str, str], price: Decimal, quantity: Decimal, realized: Decimal, at: datetime
) -> list[TimePoint]:
    return [
        TimePoint(measure="fill_price", value=price, at=at, dimensions=dims),
        TimePoint(measure="fill_quantity", value=quantity, at=at, dimensions=dims),
        TimePoint(measure="realized_pnl", value=realized, at=at, dimensions=dims),
    ]


def fill_points(trade: Trade) -> list[TimePoint]:
    dims = {
        "user_id": trade.user_id,
        "broker": trade.broker.value,
        "symbol": trade.symbol,
        "side": trade.side.value,
    }
    return _fill_points(dims, trade.price, trade.quantity, trade.realized_pnl, trade.timestamp)


def equity_point(user_id: str, equity: Decimal, at: datetime) -> TimePoint:
    return TimePoint(measure="equity", value=equity, at=at, dimensions={"user_id": user_id})


def latency_point(stage: str, milliseconds: float, at: datetime, **dimensions: str) -> TimePoint:
    """How long a step took (e.g. stage="fill_to_push"): dimensions say whose and where."""
    value = Decimal(str(round(milliseconds, 3)))
    return TimePoint(measure="latency_ms", value=value, at=at, dimensions={"stage": stage, **dimensions})


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def points_for(event_name: str, key: ItemKey, new: dict[str, Any] | None, now: datetime) -> list[TimePoint]:
    """The points a change to one state-table item makes (its key read by the stream decoder,
    nija.adapters.dynamo.stream_records; plain Python images), none for most items."""
    if event_name == "REMOVE" or not new:
        return []
    user_id = key.owner
    if key.kind is ItemKind.TRADE and event_name == "INSERT":
        at = pynamodb_time(new.get("timestamp"))
        values = [_decimal(new.get(f)) for f in ("price", "quantity", "realized_pnl")]
        if at is None or None in values:
            return []
        dims = {
            "user_id": user_id,
            "broker": str(new.get("broker")),
            "symbol": str(new.get("symbol")),
            "side": str(new.get("side")),
        }
        price, quantity, realized = values
        latency = max((now - at).total_seconds() * 1000, 0.0)
        return [
            *_fill_points(dims, price, quantity, realized, at),  # type: ignore[arg-type]
            latency_point("fill_to_push", latency, now, broker=dims["broker"]),
        ]
    if key.kind is ItemKind.EQUITY_SNAPSHOT:
        at, equity = pynamodb_time(new.get("at")), _decimal(new.get("equity"))
        return [equity_point(user_id, equity, at)] if at is not None and equity is not None else []
    return []
