"""The local stack's per-user rate limiter (nija.api.ratelimit) under load, on a virtual clock.

For each tier, 50 users (one thread each, all at once) ask for DEMAND times their tier's rate for
several simulated minutes. Targets: admitted requests per user per minute within 2% of the tier's
figure (basic 60, pro 300, enterprise 1000), and never more than the figure in any rolling 60 s.
The limiter's own cost per call is reported, alone and with 50 threads contending for it.
"""

from __future__ import annotations

import random
import statistics
import threading
import time

from bench.report import line
from nija.api.ratelimit import SlidingWindowLimiter
from nija.domain.models import TIER_REQUESTS_PER_MINUTE, Tier

USERS = 50
MINUTES = 5
DEMAND = 5  # each user asks for 5x what their tier admits
TICK_S = 0.25  # virtual time advances in ticks; requests within a tick get sorted random offsets
COST_CALLS = 400_000
CONTENDED_CALLS = 10_000  # per thread


class VirtualClock:
    """Shared virtual time, advanced a tick at a time once every user is done with the tick; each
    thread adds its own offset within the tick, so requests are spread, in order, per user."""

    def __init__(self) -> None:
        self.base = 0.0
        self._local = threading.local()

    def __call__(self) -> float:
        return self.base + getattr(self._local, "offset", 0.0)

    def at(self, offset: float) -> None:
        self._local.offset = offset

    def advance(self) -> None:
        self.base += TICK_S


def simulate(tier: Tier) -> list[list[float]]:
    """The admitted request times of each user."""
    limit = TIER_REQUESTS_PER_MINUTE[tier]
    clock = VirtualClock()
    limiter = SlidingWindowLimiter(clock=clock)
    ticks = round(MINUTES * 60 / TICK_S)
    per_tick = DEMAND * limit * TICK_S / 60
    barrier = threading.Barrier(USERS, action=clock.advance)
    admitted: list[list[float]] = [[] for _ in range(USERS)]

    def user(n: int) -> None:
        rng = random.Random(n)
        user_id, mine = f"user-{n}", admitted[n]
        for _ in range(ticks):
            count = int(per_tick) + (rng.random() < per_tick % 1)
            for offset in sorted(rng.random() * TICK_S for _ in range(count)):
                clock.at(offset)
                if limiter.acquire(user_id, tier).allowed:
                    mine.append(clock())
            barrier.wait()

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return admitted


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


def cost_alone() -> float:
    """µs per acquire(): 1,000 users, one caller, virtual time moving 1 ms a call."""
    now = [0.0]
    limiter = SlidingWindowLimiter(clock=lambda: now[0])
    users = [f"user-{n}" for n in range(1000)]
    t = time.perf_counter()
    for i in range(COST_CALLS):
        now[0] += 0.001
        limiter.acquire(users[i % 1000], Tier.BASIC)
    return (time.perf_counter() - t) / COST_CALLS * 1e6


def cost_contended() -> float:
    """µs per acquire() in wall time: 50 threads calling at once, real clock."""
    limiter = SlidingWindowLimiter()
    start = threading.Barrier(USERS + 1)

    def hammer(n: int) -> None:
        user_id = f"user-{n}"
        start.wait()
        for _ in range(CONTENDED_CALLS):
            limiter.acquire(user_id, Tier.PRO)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(USERS)]
    for th in threads:
        th.start()
    start.wait()
    t = time.perf_counter()
    for th in threads:
        th.join()
    return (time.perf_counter() - t) / (USERS * CONTENDED_CALLS) * 1e6


def main() -> None:
    print(
        f"Rate limiter: {USERS} concurrent users asking for {DEMAND}x their tier's rate, "
        f"{MINUTES} simulated minutes (requests per user per minute)"
    )
    for tier in Tier:
        limit = TIER_REQUESTS_PER_MINUTE[tier]
        admitted = simulate(tier)
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
    alone, contended = cost_alone(), cost_contended()
    print(line("acquire() cost, one caller", alone, "µs", "reported", None))
    print(line(f"acquire() cost, {USERS} threads contending (wall)", contended, "µs", "reported", None))


if __name__ == "__main__":
    main()
