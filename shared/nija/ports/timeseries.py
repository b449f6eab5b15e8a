"""Time series of equity, fills and latency (Timestream when a deployment has it, nothing otherwise).

Timestream for LiveAnalytics takes no new AWS customers since 2025-06-20: every deployment must work
with it off, so the analytics routes never read from here (they read DynamoDB)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from pydantic import BaseModel, ConfigDict

MAX_BATCH = 100  # Timestream's WriteRecords takes at most 100 records a call


class TimePoint(BaseModel):
    """One measure at one instant, with the dimensions that say whose and of what."""

    model_config = ConfigDict(frozen=True)

    measure: str  # equity | fill_price | fill_quantity | realized_pnl | latency_ms
    value: Decimal
    at: datetime
    dimensions: dict[str, str]


class TimeSeries(Protocol):
    def write(self, points: Sequence[TimePoint]) -> int:
        """Write the points (in batches of at most MAX_BATCH); returns how many were written."""
        ...
