"""Outbound request budgets: each HTTP request to a broker takes its tokens from the broker's
shared buckets (limits.py, held in the state table by adapters/dynamo/throttle.py) before it is
sent, so every function instance together keeps within the exchange's limits.

A request whose tokens come within `max_wait_s` sleeps that long, then goes. A longer wait raises
BrokerThrottled, a temporary BrokerError, before anything is sent: the executor's message comes
back from the queue later, and the sync schedule leaves the order for its next run. Waiting is a
reservation, so the requests that wait go out in the order they asked.

A request takes from its account's bucket, then from the broker's. When the second refuses, the
tokens of the first stay taken: a held-back request counts against its account, which errs on the
safe side.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from nija.adapters.brokers import RequestGate
from nija.adapters.brokers.limits import BrokerLimits, limits
from nija.domain.errors import BrokerThrottled
from nija.domain.models import BrokerName
from nija.domain.throttle import Bucket, BucketKey, BucketLimit, Reservation, reserve
from nija.ports.throttle import TokenBuckets

DEFAULT_MAX_WAIT_S = 2.0


class RequestThrottle:
    def __init__(
        self,
        limits: BrokerLimits,
        buckets: TokenBuckets,
        *,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = limits
        self.max_wait_s = max_wait_s
        self._buckets = buckets
        self._sleep = sleep

    @property
    def broker(self) -> BrokerName:
        return self.limits.broker

    def gate(self, account: str | None) -> RequestGate:
        """The gate for one client: a user's (account: their user id), or the keyless one (None)."""

        def before_sending(method: str, url: str) -> None:
            self.acquire(method, url, account)

        return before_sending

    def acquire(self, method: str, url: str, account: str | None) -> float:
        """Take the request's tokens and sleep until it may go; returns the seconds slept.
        BrokerThrottled when it would have to wait longer than max_wait_s."""
        cost = self.limits.cost(method, url)
        scopes: list[tuple[BucketKey, BucketLimit | None, float]] = []
        if account is not None:  # the keyless client (markets, tickers) has no account
            scopes.append((BucketKey(self.broker.value, account), self.limits.per_account, cost.account))
        scopes.append((BucketKey(self.broker.value), self.limits.per_broker, cost.broker))
        wait = 0.0
        for key, limit, tokens in scopes:
            if limit is None or tokens <= 0:
                continue
            taken = self._buckets.reserve(key, limit, tokens, max_wait_s=self.max_wait_s)
            if not taken.taken:
                whose = "the platform's" if key.account is None else "this account's"
                raise BrokerThrottled(
                    f"{self.broker.value}: {whose} request budget is spent for {taken.wait_s:.1f} s; "
                    "the request was not sent",
                    retry_after=max(1, math.ceil(taken.wait_s)),
                )
            wait = max(wait, taken.wait_s)
        if wait > 0:
            self._sleep(wait)
        return wait


def throttle_for(
    broker: BrokerName,
    buckets: TokenBuckets,
    *,
    max_wait_s: float = DEFAULT_MAX_WAIT_S,
    sleep: Callable[[float], None] = time.sleep,
) -> RequestThrottle | None:
    """The broker's throttle; None for a broker without published limits (the paper broker)."""
    found = limits(broker)
    return None if found is None else RequestThrottle(found, buckets, max_wait_s=max_wait_s, sleep=sleep)


class LocalTokenBuckets:
    """The TokenBuckets port within one process (tests and tools): shared by its threads only."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._buckets: dict[BucketKey, Bucket] = {}
        self._lock = threading.Lock()

    def reserve(self, key: BucketKey, limit: BucketLimit, cost: float, *, max_wait_s: float) -> Reservation:
        with self._lock:
            now = self._clock()
            outcome = reserve(
                self._buckets.get(key) or Bucket.full(limit, now), limit, cost, now, max_wait_s=max_wait_s
            )
            if outcome.taken:
                self._buckets[key] = outcome.bucket
            return outcome

    def peek(self, key: BucketKey) -> Bucket | None:
        with self._lock:
            return self._buckets.get(key)
