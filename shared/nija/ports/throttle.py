"""Token buckets shared by every process that talks to a broker (nija.domain.throttle's arithmetic)."""

from __future__ import annotations

from typing import Protocol

from nija.domain.throttle import BucketKey, BucketLimit, Reservation


class TokenBuckets(Protocol):
    def reserve(self, key: BucketKey, limit: BucketLimit, cost: float, *, max_wait_s: float) -> Reservation:
        """Take `cost` tokens from the bucket `key` (full when first used) if the request would wait
        at most `max_wait_s`, atomically for everyone who shares the store. Not taken: nothing changed."""
        ...
