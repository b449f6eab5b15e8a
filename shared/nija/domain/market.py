"""Market data shapes."""

from __future__ import annotations

from datetime import datetime

from nija.domain.models import Frozen, Money


class Candle(Frozen):
    timestamp: datetime  # the candle's open time, UTC
    open: Money
    high: Money
    low: Money
    close: Money
    volume: Money


TIMEFRAME_SECONDS: dict[str, int] = {"1m": 60, "5m": 300, "15m": 900, "1h": 3600, "4h": 14400, "1d": 86400}
