"""The API's per-user rate limiter (nija.adapters.dynamo.request_limits, the code every API function
and the local stack run) on moto, on a virtual clock.

For each tier, USERS users ask for DEMAND times their tier's rate for MINUTES simulated minutes; each
request goes to one of INSTANCES function instances at random (each its own limiter and memory, all
one state table), as Lambda spreads a user's requests. Targets: admitted requests per user per minute
within 2% of the tier's figure (basic 60, pro 300, enterprise 1000), and never more than the figure in
any rolling 60 s. Then what it costs: DynamoDB requests and request units per API request, and the
dollars per million API requests at on-demand list prices (PRICES below).
"""

from __future__ import annotations

import heapq
import math
import random
import statistics
import time
from dataclasses import dataclass

from bench.report import line, moto_platform
from nija.adapters.dynamo.request_limits import DynamoRequestLimiter
from nija.domain.models import TIER_REQUESTS_PER_MINUTE, Tier
from nija.domain.ratelimit import RequestLimit, Window

USERS = 10
MINUTES = 3
DEMAND = 5  # each user asks for 5x what their tier admits
INSTANCES = 4  # API function instances a user's requests land on
T0 = 1_700_000_000.0

# DynamoDB on-demand list prices, US East (N. Virginia), standard table class: per million request
# units, as published at https://aws.amazon.com/dynamodb/pricing/on-demand/ since the 2024-11-01
# reduction (read 2026-12: unchanged).
PRICE_PER_MILLION_WRU = 0.625
PRICE_PER_MILLION_RRU = 0.125
# What one window item weighs besides its packed times (DynamoDB item size: attribute names and
# values): pk "LIMIT#" + a 36-character user id, sk "WINDOW", expires_at (a number of 10 digits).
ITEM_OVERHEAD_BYTES = len("pk") + 42 + len("sk") + 6 + len("stamps") + len("expires_at") + 7


@dataclass
class Usage:
    reads: int = 0
    writes: int = 0
    lost_writes: int = 0
    write_units: int = 0
    read_units: int = 0


class CountedLimiter(DynamoRequestLimiter):
    """The real limiter, with its DynamoDB requests and their request units counted."""

    def __init__(self, clock: VirtualClock, usage: Usage) -> None:
        super().__init__({t: RequestLimit(t.requests_per_minute) for t in Tier}, clock=clock)
        self.usage = usage

    def _read(self, user_id: str) -> Window | None:
        window = super()._read(user_id)
        self.usage.reads += 1
        self.usage.read_units += 1  # a strongly consistent read of up to 4 KB
        return window

    def _write(self, user_id: str, window: Window, previous: Window | None, limit: RequestLimit) -> bool:
        written = super()._write(user_id, window, previous, limit)
        size = ITEM_OVERHEAD_BYTES + 8 + 2 * (len(window.stamps) - 1)
        self.usage.writes += 1
        self.usage.lost_writes += not written  # a refused conditional write is charged too
        self.usage.write_units += math.ceil(size / 1024)
        return written


class VirtualClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def requests(tier: Tier) -> list[tuple[float, int]]:
    """(time, user) of every request, in time order: each user's at random, DEMAND x the tier's rate."""
    rate = DEMAND * TIER_REQUESTS_PER_MINUTE[tier] / 60
    per_user = []
    for n in range(USERS):
        rng, t, times = random.Random(n), T0, []
        while (t := t + rng.expovariate(rate)) < T0 + MINUTES * 60:
            times.append((t, n))
        per_user.append(times)
    return list(heapq.merge(*per_user))


def simulate(tier: Tier) -> tuple[list[list[float]], Usage, int, float]:
    """Each user's admitted request times (from the start), the DynamoDB usage, the request count
    and the wall time per acquire()."""
    clock, usage = VirtualClock(), Usage()
    instances = [CountedLimiter(clock, usage) for _ in range(INSTANCES)]
    pick = random.Random(7)
    admitted: list[list[float]] = [[] for _ in range(USERS)]
    asked = requests(tier)
    started = time.perf_counter()
    for t, n in asked:
        clock.now = t
        if pick.choice(instances).acquire(f"user-{n:04d}-{tier.value}", tier).allowed:
            admitted[n].append(t - T0)
    return admitted, usage, len(asked), (time.perf_counter() - started) / len(asked)


def per_minute(stamps: list[float]) -> list[int]:
    counts = [0] * MINUTES
    for t in stamps:
        counts[min(int(t // 60), MINUTES - 1)] += 1
    return counts


def rolling_max(stamps: list[float], window_s: float = 60.0) -> int:
    """Most admitted requests in any window [t, t + 60 s)."""
    best, lo = 0, 0
    for hi, t in enumerate(stamps):
        while stamps[lo] <= t - window_s:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def main() -> None:
    print(
        f"Rate limiter (state table on moto): {USERS} users a tier asking for {DEMAND}x their tier's rate "
        f"over {INSTANCES} function instances, {MINUTES} simulated minutes"
    )
    with moto_platform():
        for tier in Tier:
            limit = TIER_REQUESTS_PER_MINUTE[tier]
            admitted, usage, asked, wall = simulate(tier)
            counts = [c for stamps in admitted for c in per_minute(stamps)]
            target = f"{limit} within 2%"
            for name, value in (
                ("mean", statistics.fmean(counts)),
                ("min", min(counts)),
                ("max", max(counts)),
            ):
                ok = abs(value - limit) <= 0.02 * limit
                print(line(f"{tier.value} ({limit}/min) {name}", value, "req", target, ok))
            worst = max(rolling_max(stamps) for stamps in admitted)
            print(line(f"{tier.value} most in any rolling 60 s", worst, "req", f"<= {limit}", worst <= limit))
            passed = sum(len(stamps) for stamps in admitted)
            calls = (usage.reads + usage.writes) / asked
            print(line(f"{tier.value} DynamoDB requests per API request", calls, "", "reported", None))
            print(
                line(
                    f"{tier.value} lost conditional writes",
                    usage.lost_writes / usage.writes,
                    "",
                    "reported",
                    None,
                )
            )
            wru, rru = usage.write_units / passed, usage.read_units / passed
            print(line(f"{tier.value} WRU / RRU per admitted request", wru, "WRU", f"RRU {rru:.3f}", None))
            # Per admitted request, the refusals' cost (reads of a stale memory) included.
            dollars = (
                usage.write_units * PRICE_PER_MILLION_WRU + usage.read_units * PRICE_PER_MILLION_RRU
            ) / passed
            print(line(f"{tier.value} $ per million admitted requests", dollars, "$", "reported", None))
            print(line(f"{tier.value} acquire() wall time on moto", wall * 1e3, "ms", "reported", None))


if __name__ == "__main__":
    main()
