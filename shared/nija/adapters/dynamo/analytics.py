"""The analytics' reads and the equity snapshot write, over the state table: in each user's partition
(keys: nija.adapters.dynamo.keys), the user's equity as the last valuation in each 5-minute bucket
(UTC); realized PnL, fills, closing fills and wins per 15 minutes (UTC), added to by each fill's
transaction (DynamoLedger.record_fill); the latest valuation per broker and the day start (risk.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import EquityItem, EquitySnapshotItem, PnlBucketItem
from nija.adapters.dynamo.writes import Save, write
from nija.domain.money import fmt
from nija.domain.standing import kept
from nija.ports.analytics import EquityPoint, PnlBucket

SNAPSHOT_TTL = timedelta(days=400)


def _point(item: EquitySnapshotItem) -> EquityPoint:
    return EquityPoint(keys.bucket_time(item.sk), item.at, Decimal(item.equity))


def record_snapshot(user_id: str, equity: Decimal, at: datetime) -> None:
    """Overwrite the bucket's snapshot: the last valuation in a bucket stands."""
    item = EquitySnapshotItem(
        keys.user_pk(user_id),
        keys.equity_snapshot_sk(at),
        equity=fmt(equity),
        at=at,
        expires_at=int((at + SNAPSHOT_TTL).timestamp()),
    )
    write([Save(item)], account=kept(user_id))


class DynamoAnalyticsStore:
    def __init__(self) -> None:
        bind()

    def record_snapshot(self, user_id: str, equity: Decimal, at: datetime) -> None:
        record_snapshot(user_id, equity, at)

    def equity_state(
        self, user_id: str
    ) -> tuple[dict[str, tuple[datetime, Decimal]], tuple[datetime, Decimal] | None]:
        equities: dict[str, tuple[datetime, Decimal]] = {}
        day_start = None
        for i in EquityItem.query(keys.user_pk(user_id), EquityItem.sk.startswith(keys.EQUITY_PREFIX)):
            broker = keys.equity_broker(i.sk)
            if broker is None:
                day_start = (i.at, Decimal(i.equity))
            else:
                equities[broker] = (i.at, Decimal(i.equity))
        return equities, day_start

    def snapshots(self, user_id: str, since: datetime, until: datetime) -> list[EquityPoint]:
        query = EquitySnapshotItem.query(
            keys.user_pk(user_id),
            EquitySnapshotItem.sk.between(keys.equity_snapshot_sk(since), keys.equity_snapshot_sk(until)),
        )
        return [p for p in map(_point, query) if since <= p.bucket < until]

    def last_snapshot_before(self, user_id: str, before: datetime) -> EquityPoint | None:
        query = EquitySnapshotItem.query(
            keys.user_pk(user_id),
            EquitySnapshotItem.sk.between(keys.EQUITY_SNAPSHOT_PREFIX, keys.equity_snapshot_sk(before)),
            scan_index_forward=False,
            limit=2,
        )
        return next((p for p in map(_point, query) if p.at < before), None)

    def pnl_buckets(self, user_id: str, since: datetime, until: datetime) -> list[PnlBucket]:
        query = PnlBucketItem.query(
            keys.user_pk(user_id),
            PnlBucketItem.sk.between(keys.pnl_bucket_sk(since), keys.pnl_bucket_sk(until)),
        )
        out = []
        for i in query:
            start = keys.bucket_time(i.sk)
            if since <= start < until:
                out.append(PnlBucket(start, i.realized, int(i.trades), int(i.closing), int(i.wins)))
        return out
