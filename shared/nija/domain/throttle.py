"""Token buckets, as pure arithmetic: the budget of requests we may send to a broker.

A bucket holds at most `capacity` tokens and gains `rate` tokens a second. A request costs some
tokens. Taking is a reservation: the tokens are taken at once, even into debt, and the request may
go when the bucket would be back at zero, `wait_s` seconds later. Everyone after it sees the debt
and waits longer, so waiters are served in order and each costs one write of the bucket. Over any
span of t seconds that starts with a full bucket, the tokens of the requests sent add up to at most
capacity + rate * t.

Time is seconds since the epoch as the caller's clock reads it (buckets are shared between
machines, so a monotonic clock would mean nothing elsewhere). A clock behind the bucket's last
update refills nothing, never moves the bucket back in time, and waits out the difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class BucketKey:
    """Whose budget: a broker's as a whole (account None: limits per IP, and all our functions
    share the NAT's addresses), or one user's account there (limits per API key)."""

    broker: str
    account: str | None = None

    def __str__(self) -> str:
        return self.broker if self.account is None else f"{self.broker}#{self.account}"


@dataclass(frozen=True, slots=True)
class BucketLimit:
    capacity: float  # tokens held at most: the burst
    rate: float  # tokens added each second

    def __post_init__(self) -> None:
        if not (self.capacity > 0 and self.rate > 0 and math.isfinite(self.capacity + self.rate)):
            raise ValueError(f"a bucket needs a positive capacity and rate, not {self}")

    @classmethod
    def within(cls, count: float, seconds: float, *, burst: float) -> BucketLimit:
        """The bucket that lets at most `count` tokens through in any `seconds`: `burst` at once,
        the rest spread over the window (burst + rate * seconds = count)."""
        if not 0 < burst < count:
            raise ValueError("the burst must be positive and below the window's count")
        return cls(capacity=burst, rate=(count - burst) / seconds)

    def seconds_to_fill(self, tokens: float) -> float:
        """From `tokens` to a full bucket."""
        return max(0.0, self.capacity - tokens) / self.rate


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket's state: `tokens` (negative while requests wait) as of `updated_at`. `version`
    counts the writes, for optimistic concurrency between the instances that share it."""

    tokens: float
    updated_at: float
    version: int = 0

    @classmethod
    def full(cls, limit: BucketLimit, now: float) -> Bucket:
        return cls(tokens=limit.capacity, updated_at=now)


def refilled(bucket: Bucket, limit: BucketLimit, now: float) -> Bucket:
    """The bucket at `now`: what has dripped in since its last update, up to the capacity."""
    elapsed = now - bucket.updated_at
    if elapsed <= 0:
        return bucket
    tokens = min(limit.capacity, bucket.tokens + elapsed * limit.rate)
    return replace(bucket, tokens=tokens, updated_at=now)


def wait_for(bucket: Bucket, limit: BucketLimit, cost: float, now: float) -> float:
    """Seconds from `now` until the bucket holds `cost` tokens (0 when it already does). A clock
    behind the bucket waits out the difference too: the refill runs on the bucket's time."""
    if cost < 0:
        raise ValueError("a request cannot cost less than nothing")
    tokens = refilled(bucket, limit, now).tokens
    if cost == 0 or tokens >= cost:
        return 0.0
    return max(0.0, bucket.updated_at - now) + (cost - tokens) / limit.rate


@dataclass(frozen=True, slots=True)
class Reservation:
    """The outcome of asking for tokens. Taken: store `bucket` and send after `wait_s`. Not taken:
    the wait would have been `wait_s`, longer than the caller accepts; the bucket is unchanged."""

    taken: bool
    wait_s: float
    bucket: Bucket


def reserve(bucket: Bucket, limit: BucketLimit, cost: float, now: float, *, max_wait_s: float) -> Reservation:
    """Take `cost` tokens at `now`, if the request need not wait longer than `max_wait_s`."""
    wait = wait_for(bucket, limit, cost, now)
    current = refilled(bucket, limit, now)
    if wait > max_wait_s:
        return Reservation(taken=False, wait_s=wait, bucket=bucket)
    taken = replace(current, tokens=current.tokens - cost, version=bucket.version + 1)
    return Reservation(taken=True, wait_s=wait, bucket=taken)


def expires_at(bucket: Bucket, limit: BucketLimit, *, slack_s: float = 60.0) -> int:
    """When the stored bucket can be forgotten: once full again it is the same as no bucket."""
    return math.ceil(bucket.updated_at + limit.seconds_to_fill(bucket.tokens) + slack_s)
