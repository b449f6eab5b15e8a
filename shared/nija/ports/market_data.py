"""The market-data port."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from nija.domain.market import Candle


class MarketData(Protocol):
    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        """The last traded price now (or at a given time for a replayable feed)."""
        ...

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        """The last `limit` closed candles ending at or before `until` (now when None), oldest first."""
        ...
