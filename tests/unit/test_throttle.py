"""Token-bucket arithmetic (nija.domain.throttle) on an injected clock: no AWS, no sleeping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nija.domain.throttle import (
    Bucket,
    BucketKey,
    BucketLimit,
    expires_at,
    refilled,
    reserve,
    wait_for,
)

LIMIT = BucketLimit(capacity=10, rate=2)  # 10 at once, 2 a second
T0 = 1_700_000_000.0


def full() -> Bucket:
    return Bucket.full(LIMIT, T0)


# --- limits ------------------------------------------------------------------------------------


def test_a_new_bucket_is_full_at_version_zero() -> None:
    assert full() == Bucket(tokens=10, updated_at=T0, version=0)


@pytest.mark.parametrize(
    ("capacity", "rate"), [(0, 1), (1, 0), (-1, 1), (1, -1), (math.inf, 1), (1, math.nan)]
)
def test_a_limit_needs_a_positive_finite_capacity_and_rate(capacity: float, rate: float) -> None:
    with pytest.raises(ValueError):
        BucketLimit(capacity=capacity, rate=rate)


def test_within_spreads_what_the_burst_leaves_over_the_window() -> None:
    limit = BucketLimit.within(200, 60.0, burst=20)
    assert limit.capacity == 20
    assert limit.rate == pytest.approx(3.0)
    # a full bucket at the start of any window, and the window's refill: exactly the count
    assert limit.capacity + limit.rate * 60 == pytest.approx(200)


@pytest.mark.parametrize("burst", [0, -1, 200, 250])
def test_within_refuses_a_burst_outside_the_count(burst: float) -> None:
    with pytest.raises(ValueError):
        BucketLimit.within(200, 60.0, burst=burst)


def test_seconds_to_fill() -> None:
    assert LIMIT.seconds_to_fill(10) == 0
    assert LIMIT.seconds_to_fill(4) == 3
    assert LIMIT.seconds_to_fill(-2) == 6
    assert LIMIT.seconds_to_fill(12) == 0


def test_bucket_keys_name_the_broker_and_the_account() -> None:
    assert str(BucketKey("kraken")) == "kraken"
    assert str(BucketKey("kraken", "u1")) == "kraken#u1"
    assert BucketKey("kraken", "u1") != BucketKey("kraken")


# --- refill ------------------------------------------------------------------------------------


def test_refill_adds_rate_times_elapsed() -> None:
    empty = Bucket(tokens=0, updated_at=T0)
    assert refilled(empty, LIMIT, T0 + 1.5) == Bucket(tokens=3, updated_at=T0 + 1.5)


def test_refill_stops_at_the_capacity() -> None:
    assert refilled(Bucket(tokens=9, updated_at=T0), LIMIT, T0 + 100).tokens == 10


def test_refill_pays_a_debt_back_first() -> None:
    assert refilled(Bucket(tokens=-4, updated_at=T0), LIMIT, T0 + 3).tokens == 2


def test_a_clock_behind_the_bucket_refills_nothing_and_keeps_its_time() -> None:
    bucket = Bucket(tokens=1, updated_at=T0, version=3)
    assert refilled(bucket, LIMIT, T0 - 5) == bucket


def test_refill_keeps_the_version() -> None:
    assert refilled(Bucket(tokens=0, updated_at=T0, version=7), LIMIT, T0 + 1).version == 7


# --- how long to wait --------------------------------------------------------------------------


def test_no_wait_while_the_tokens_are_there() -> None:
    assert wait_for(full(), LIMIT, 10, T0) == 0


def test_wait_for_the_missing_tokens_at_the_rate() -> None:
    assert wait_for(Bucket(tokens=1, updated_at=T0), LIMIT, 4, T0) == pytest.approx(1.5)


def test_wait_counts_the_refill_since_the_last_update() -> None:
    assert wait_for(Bucket(tokens=0, updated_at=T0), LIMIT, 4, T0 + 1) == pytest.approx(1.0)


def test_wait_through_a_debt() -> None:
    assert wait_for(Bucket(tokens=-6, updated_at=T0), LIMIT, 1, T0) == pytest.approx(3.5)


def test_a_cost_above_the_capacity_waits_for_the_difference() -> None:
    assert wait_for(full(), LIMIT, 14, T0) == pytest.approx(2.0)


def test_a_clock_behind_the_bucket_waits_out_the_difference_too() -> None:
    assert wait_for(Bucket(tokens=0, updated_at=T0), LIMIT, 1, T0 - 2) == pytest.approx(2.5)
    assert wait_for(Bucket(tokens=3, updated_at=T0), LIMIT, 1, T0 - 2) == 0


def test_a_negative_cost_is_refused() -> None:
    with pytest.raises(ValueError):
        wait_for(full(), LIMIT, -1, T0)


# --- reservations ------------------------------------------------------------------------------


def test_reserve_takes_at_once_while_tokens_are_there() -> None:
    outcome = reserve(full(), LIMIT, 3, T0, max_wait_s=0)
    assert outcome.taken and outcome.wait_s == 0
    assert outcome.bucket == Bucket(tokens=7, updated_at=T0, version=1)


def test_a_burst_of_capacity_then_each_waits_one_interval_more() -> None:
    bucket = full()
    waits = []
    for _ in range(14):
        outcome = reserve(bucket, LIMIT, 1, T0, max_wait_s=10)
        assert outcome.taken
        bucket = outcome.bucket
        waits.append(outcome.wait_s)
    assert waits[:10] == [0] * 10
    assert waits[10:] == pytest.approx([0.5, 1.0, 1.5, 2.0])
    assert bucket.tokens == -4 and bucket.version == 14


def test_reserve_refuses_a_wait_beyond_the_limit_and_leaves_the_bucket() -> None:
    empty = Bucket(tokens=0, updated_at=T0, version=5)
    outcome = reserve(empty, LIMIT, 5, T0, max_wait_s=2)
    assert not outcome.taken
    assert outcome.wait_s == pytest.approx(2.5)
    assert outcome.bucket == empty


def test_a_wait_exactly_at_the_limit_is_taken() -> None:
    outcome = reserve(Bucket(tokens=0, updated_at=T0), LIMIT, 4, T0, max_wait_s=2)
    assert outcome.taken and outcome.wait_s == pytest.approx(2.0)
    assert outcome.bucket.tokens == -4


def test_reserve_refills_before_it_takes() -> None:
    outcome = reserve(Bucket(tokens=0, updated_at=T0, version=2), LIMIT, 1, T0 + 2, max_wait_s=0)
    assert outcome.bucket == Bucket(tokens=3, updated_at=T0 + 2, version=3)


def test_a_late_clock_takes_without_moving_the_bucket_back() -> None:
    outcome = reserve(Bucket(tokens=5, updated_at=T0, version=1), LIMIT, 1, T0 - 3, max_wait_s=0)
    assert outcome.bucket == Bucket(tokens=4, updated_at=T0, version=2)


def test_zero_cost_takes_nothing_and_never_waits() -> None:
    empty = Bucket(tokens=-100, updated_at=T0)
    outcome = reserve(empty, LIMIT, 0, T0, max_wait_s=0)
    assert outcome.taken and outcome.wait_s == 0
    assert outcome.bucket.tokens == -100


def test_after_a_long_idle_the_burst_is_back_and_no_more() -> None:
    bucket = reserve(Bucket(tokens=-20, updated_at=T0), LIMIT, 1, T0 + 3600, max_wait_s=0).bucket
    assert bucket.tokens == 9


# --- expiry ------------------------------------------------------------------------------------


def test_a_full_bucket_expires_after_the_slack() -> None:
    assert expires_at(full(), LIMIT) == math.ceil(T0 + 60)


def test_a_bucket_in_debt_expires_when_it_would_be_full_again() -> None:
    assert expires_at(Bucket(tokens=-4, updated_at=T0), LIMIT, slack_s=0) == math.ceil(T0 + 7)


# --- the guarantee -----------------------------------------------------------------------------


def sends(
    limit: BucketLimit, requests: list[tuple[float, float]], max_wait_s: float
) -> list[tuple[float, float]]:
    """(send time, cost) of each request taken, asked at the given (time, cost), in order."""
    bucket = Bucket.full(limit, T0)
    out = []
    for at, cost in requests:
        outcome = reserve(bucket, limit, cost, at, max_wait_s=max_wait_s)
        if outcome.taken:
            bucket = outcome.bucket
            out.append((at + outcome.wait_s, cost))
    return out


EPSILON = 1e-4  # epoch seconds as floats are exact to about 0.2 microseconds


def assert_within(limit: BucketLimit, sent: list[tuple[float, float]], start: float) -> None:
    """Any span [a, b] holds at most capacity + rate * (b - a) tokens' worth of sends."""
    times = sorted(sent)
    for i, (a, _) in enumerate(times):
        total = 0.0
        for b, cost in times[i:]:
            total += cost
            assert total <= limit.capacity + limit.rate * (b - a) + EPSILON, (a, b, total)
    if times:
        assert sum(c for _, c in times) <= limit.capacity + limit.rate * (times[-1][0] - start) + EPSILON


@settings(max_examples=200, deadline=None)
@given(
    capacity=st.integers(min_value=1, max_value=30),
    rate=st.floats(min_value=0.1, max_value=50),
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=60),
    costs=st.lists(st.integers(min_value=0, max_value=5), min_size=60, max_size=60),
    max_wait_s=st.floats(min_value=0, max_value=5),
)
def test_what_is_sent_never_exceeds_capacity_plus_rate_times_elapsed(
    capacity: int, rate: float, gaps: list[float], costs: list[int], max_wait_s: float
) -> None:
    limit = BucketLimit(capacity=capacity, rate=rate)
    at, requests = T0, []
    for gap, cost in zip(gaps, costs, strict=False):
        at += gap
        requests.append((at, float(min(cost, capacity))))
    assert_within(limit, sends(limit, requests, max_wait_s), T0)


def test_a_flood_is_admitted_at_the_rate_after_the_burst() -> None:
    limit = BucketLimit(capacity=5, rate=1)
    sent = sends(limit, [(T0 + i * 0.01, 1) for i in range(100)], max_wait_s=2)
    # the burst, then one a second as far as two seconds of waiting reach: sent at 1 s and 2 s
    assert [round(t - T0, 2) for t, _ in sent] == [0, 0.01, 0.02, 0.03, 0.04, 1.0, 2.0]
    assert_within(limit, sent, T0)
