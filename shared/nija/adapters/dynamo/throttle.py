"""Request budgets in the state table, shared by every function instance (the TokenBuckets port).

One item per bucket (keys.throttle_pk / BUCKET) holds its tokens, when they were counted and a
version. Taking tokens is optimistic: compute the refill and the reservation from the last known
state, then write it on condition that its version and time are still those it was computed from;
on a lost race, read the bucket again and retry. The item's expires_at (the table's TTL attribute) is
when it would be full again, plus a minute: a bucket nobody used since is deleted, and a missing
bucket reads as a full one. An item past its expiry but not yet deleted refills to full anyway.

Each instance remembers the last state it read or wrote, so a warm instance that is alone on a
bucket costs one conditional write per request; a stale memory costs a failed write and a read.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from pynamodb.exceptions import PynamoDBException

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import StateItem, ThrottleItem
from nija.adapters.dynamo.writes import saved_if
from nija.domain.errors import ServiceUnavailable
from nija.domain.throttle import Bucket, BucketKey, BucketLimit, Reservation, expires_at, reserve

MAX_ATTEMPTS = 10
MAX_REMEMBERED = 1024


class DynamoTokenBuckets:
    def __init__(self, *, clock: Callable[[], float] = time.time, max_attempts: int = MAX_ATTEMPTS) -> None:
        bind()
        self._clock = clock
        self._max_attempts = max(1, max_attempts)
        self._known: dict[BucketKey, Bucket | None] = {}  # the last state seen; None: no item
        self._lock = threading.Lock()

    def reserve(self, key: BucketKey, limit: BucketLimit, cost: float, *, max_wait_s: float) -> Reservation:
        with self._lock:
            fresh = key not in self._known
            stored = self._known.get(key)
        try:
            for _ in range(self._max_attempts):
                if fresh:
                    stored = self._read(key)
                now = self._clock()
                outcome = reserve(stored or Bucket.full(limit, now), limit, cost, now, max_wait_s=max_wait_s)
                if not outcome.taken:
                    # A remembered state can only lack others' takings (it holds at least the stored
                    # tokens), so a refusal from memory would also be one after a fresh read.
                    self._remember(key, stored)
                    return outcome
                if self._write(key, limit, outcome.bucket, stored):
                    self._remember(key, outcome.bucket)
                    return outcome
                fresh = True  # another instance wrote it first
        except PynamoDBException as exc:
            raise ServiceUnavailable(f"the request budget {key} could not be read or written") from exc
        # Lost every race: the budget is in heavy use, so hold this request back.
        self._forget(key)
        return Reservation(taken=False, wait_s=max_wait_s, bucket=stored or Bucket.full(limit, now))

    def peek(self, key: BucketKey) -> Bucket | None:
        """The bucket as stored (a consistent read), None when there is none."""
        return self._read(key)

    def _read(self, key: BucketKey) -> Bucket | None:
        try:
            item = ThrottleItem.get(
                keys.throttle_pk(key.broker, key.account), keys.THROTTLE_BUCKET, consistent_read=True
            )
        except ThrottleItem.DoesNotExist:
            return None
        return Bucket(tokens=float(item.tokens), updated_at=float(item.updated_at), version=int(item.version))

    def _write(self, key: BucketKey, limit: BucketLimit, bucket: Bucket, previous: Bucket | None) -> bool:
        item = ThrottleItem(
            keys.throttle_pk(key.broker, key.account),
            keys.THROTTLE_BUCKET,
            tokens=bucket.tokens,
            updated_at=bucket.updated_at,
            version=bucket.version,
            expires_at=expires_at(bucket, limit),
        )
        # The time too: a bucket that expired and was made again restarts its versions.
        condition = (
            StateItem.pk.does_not_exist()
            if previous is None
            else (ThrottleItem.version == previous.version) & (ThrottleItem.updated_at == previous.updated_at)
        )
        return saved_if(item, condition)

    def _remember(self, key: BucketKey, bucket: Bucket | None) -> None:
        with self._lock:
            if len(self._known) >= MAX_REMEMBERED:
                self._known.clear()
            self._known[key] = bucket

    def _forget(self, key: BucketKey) -> None:
        with self._lock:
            self._known.pop(key, None)
