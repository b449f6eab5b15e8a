"""Market data shapes."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from nija.domain.errors import InvalidInput
from nija.domain.models import EARLIEST, Frozen, Money


class Candle(Frozen):
    timestamp: datetime  # the candle's open time, UTC
    open: Money
    high: Money
    low: Money
    close: Money
    volume: Money


TIMEFRAME_SECONDS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}


def closed_window(timeframe: str, limit: int, until: datetime) -> tuple[int, int]:
    """(first, last) open times, in epoch seconds, of the last `limit` candles that have closed by
    `until`: the last one ends at or before it. Candles are aligned to the epoch (UTC), and none
    opened before it: a window reaching back past EARLIEST is InvalidInput naming `limit`."""
    step = TIMEFRAME_SECONDS[timeframe]
    at = until if until.tzinfo else until.replace(tzinfo=UTC)
    last = (math.floor(at.timestamp()) // step - 1) * step
    first = last - (limit - 1) * step
    if first < EARLIEST.timestamp():
        raise InvalidInput(
            f"{limit} {timeframe} candles closed by {at.date().isoformat()} would start before "
            f"{EARLIEST:%Y-%m-%d}: no such candles exist; ask for fewer or a later until",
            field="limit",
        )
    return first, last
