"""What the analytics read from storage: equity snapshots, realized-PnL buckets and the day's start."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, Protocol


class EquityPoint(NamedTuple):
    bucket: datetime  # the start of the snapshot's bucket (UTC)
    at: datetime  # when the valuation was made
    equity: Decimal


class PnlBucket(NamedTuple):
    start: datetime  # the start of a 15-minute bucket (UTC)
    realized: Decimal
    trades: int  # fills recorded
    closing: int  # fills that reduced a position
    wins: int  # closing fills that realized a profit (fees deducted)


class AnalyticsStore(Protocol):
    def equity_state(
        self, user_id: str
    ) -> tuple[dict[str, tuple[datetime, Decimal]], tuple[datetime, Decimal] | None]:
        """The latest valuation at each broker (when, how much), and the last day-start record."""
        ...

    def snapshots(self, user_id: str, since: datetime, until: datetime) -> list[EquityPoint]:
        """Snapshots whose bucket starts in [since, until), oldest first."""
        ...

    def last_snapshot_before(self, user_id: str, before: datetime) -> EquityPoint | None: ...

    def pnl_buckets(self, user_id: str, since: datetime, until: datetime) -> list[PnlBucket]:
        """PnL buckets starting in [since, until), oldest first."""
        ...
