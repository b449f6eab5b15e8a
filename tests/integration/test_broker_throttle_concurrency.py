"""Many instances on one request budget, against a real moto server over HTTP: conditional writes
race for real, and whatever order they land in, what is let through stays within the bucket.

The assertions are about the send times the limiter computed (its clock reading plus the wait it
asked for), never about how long anything took: a slow machine changes how many requests get
through, not whether the bound holds.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import pytest

from nija.adapters.brokers.limits import LIMITS
from nija.adapters.brokers.throttle import RequestThrottle
from nija.adapters.dynamo.throttle import DynamoTokenBuckets
from nija.config import get_settings, reset_settings
from nija.domain.errors import BrokerThrottled
from nija.domain.models import BrokerName
from nija.domain.throttle import BucketKey, BucketLimit
from nija.local.provision import provision_data_plane

pytestmark = [pytest.mark.xdist_group("motoserver"), pytest.mark.slow]

THREADS = 8
ATTEMPTS = 25
LIMIT = BucketLimit(capacity=5, rate=10)
EPSILON = 1e-4  # epoch seconds as floats are exact to about 0.2 microseconds


@pytest.fixture(scope="module")
def state_table(moto_endpoint: str) -> Iterator[None]:
    """On the moto server as the local stack runs it (item writes atomic: nija.local.moto_server)."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("NIJA_STAGE", f"throttle{uuid.uuid4().hex[:6]}")
        reset_settings()
        provision_data_plane(get_settings().catalogue)
        yield
    reset_settings()


class ThreadClock:
    """time.time, remembering each thread's last reading: the `now` its last reservation used."""

    def __init__(self) -> None:
        self._last = threading.local()

    def __call__(self) -> float:
        self._last.value = time.time()
        return float(self._last.value)

    @property
    def last(self) -> float:
        return float(self._last.value)


def hammer(key: BucketKey, max_wait_s: float) -> tuple[float, list[float], int]:
    """THREADS instances, each with its own adapter (its own memory), ATTEMPTS reservations each.
    Returns the start, the send time of every reservation taken, and how many were refused."""
    sent: list[float] = []
    refused = [0]
    lock = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def instance() -> None:
        clock = ThreadClock()
        buckets = DynamoTokenBuckets(clock=clock)
        barrier.wait()
        for _ in range(ATTEMPTS):
            outcome = buckets.reserve(key, LIMIT, 1, max_wait_s=max_wait_s)
            with lock:
                if outcome.taken:
                    sent.append(clock.last + outcome.wait_s)
                else:
                    refused[0] += 1

    start = time.time()
    threads = [threading.Thread(target=instance) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return start, sorted(sent), refused[0]


def assert_within(limit: BucketLimit, sent: list[float], start: float) -> None:
    """From the start, and over any span [a, b]: at most capacity + rate * (b - a) requests."""
    assert len(sent) <= limit.capacity + limit.rate * (sent[-1] - start) + EPSILON
    for i, a in enumerate(sent):
        for j in range(i, len(sent)):
            assert j - i + 1 <= limit.capacity + limit.rate * (sent[j] - a) + EPSILON, (a, sent[j], j - i + 1)


@pytest.mark.parametrize("max_wait_s", [0.0, 0.5])
def test_threads_hammering_one_bucket_never_exceed_capacity_plus_rate_times_elapsed(
    state_table: None, max_wait_s: float
) -> None:
    key = BucketKey("kraken", f"hammer-{uuid.uuid4().hex[:8]}")
    start, sent, refused = hammer(key, max_wait_s)
    assert len(sent) + refused == THREADS * ATTEMPTS
    assert len(sent) >= LIMIT.capacity  # the burst, at least
    assert_within(LIMIT, sent, start)
    stored = DynamoTokenBuckets().peek(key)
    assert stored is not None and stored.version == len(sent)  # every taking was written, none lost


def test_two_instances_throttle_each_other_through_the_server(state_table: None) -> None:
    limits = LIMITS[BrokerName.ALPACA]
    first, second = (
        RequestThrottle(limits, DynamoTokenBuckets(), max_wait_s=0, sleep=lambda s: None) for _ in range(2)
    )
    account = f"alpaca-{uuid.uuid4().hex[:8]}"
    url = "https://paper-api.alpaca.markets/v2/account"
    taken = 0
    with pytest.raises(BrokerThrottled):
        for i in range(100):
            (first if i % 2 else second).acquire("GET", url, account)
            taken += 1
    assert limits.per_account is not None
    # the burst, and what the bucket refilled while the requests were made
    assert limits.per_account.capacity <= taken < 100
