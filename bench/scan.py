"""Strategy scan on moto (in process): 10,000 enabled users over 5 symbols on the paper broker, every
shard scanned as the schedule's fan-out does, through the market-data cache.

Targets (issue 6): market-data fetches from the source counted (5: one per series, however many
shards read it), evaluation time per user and symbol ≤ 20 µs, the whole scan's time reported. The
scan runs at a candle where the strategy holds for everyone, so the figure is the scan's own cost,
not the cost of placing 50,000 orders."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

from bench.report import line, moto_platform

USERS = 10_000
SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD", "AAPL/USD")


class CountingFeed:
    """The paper feed, counting what reaches it (the cache's misses)."""

    def __init__(self, feed: object) -> None:
        self.feed = feed
        self.fetches = 0

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list:  # type: ignore[type-arg]
        self.fetches += 1
        return self.feed.candles(symbol, timeframe, limit, until)  # type: ignore[attr-defined]

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        return self.feed.price(symbol, at)  # type: ignore[attr-defined]


def main(users: int = USERS) -> None:
    with moto_platform(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true"):
        from nija import wiring
        from nija.adapters.market_cache import CachedMarketData
        from nija.adapters.paper.feed import PaperFeed
        from nija.config import get_settings
        from nija.domain.models import BrokerName, User
        from nija.domain.settings import SCAN_SHARDS, StrategySettings
        from nija.domain.strategies import Action, closed_candles, get_strategy

        feed = PaperFeed(get_settings().feed_seed)
        strategy = get_strategy("dual_rsi")
        now = _holding_time(feed, strategy, Action, closed_candles)
        counting = CountingFeed(feed)
        cache = CachedMarketData(counting, BrokerName.PAPER, shared=True)  # type: ignore[arg-type]

        settings = StrategySettings(
            enabled=True, brokers=(BrokerName.PAPER,), symbols=SYMBOLS, timeframe="5m"
        )
        started = time.perf_counter()
        for i in range(users):
            user = f"{i:08d}-0000-4000-8000-000000000000"
            wiring.users().put_user(User(user_id=user, email=f"u{i}@example.com"))
            wiring.settings_store().put(user, settings)
        setup = time.perf_counter() - started

        scanner = wiring.scanner()
        scanner.market = lambda broker: cache
        scanner.clock = lambda: now
        started = time.perf_counter()
        reports = [scanner.run(shard, BrokerName.PAPER) for shard in range(SCAN_SHARDS)]
        elapsed = time.perf_counter() - started
    evaluations = sum(r.evaluations for r in reports)
    per_eval_us = sum(r.evaluation_s for r in reports) / max(evaluations, 1) * 1e6
    print(f"Strategy scan on moto (in process), {users} users x {len(SYMBOLS)} symbols, {SCAN_SHARDS} shards")
    print(
        line(
            "users scanned",
            sum(r.users for r in reports),
            "",
            str(users),
            sum(r.users for r in reports) == users,
        )
    )
    print(
        line(
            "market-data fetches from the source",
            counting.fetches,
            "",
            str(len(SYMBOLS)),
            counting.fetches == len(SYMBOLS),
        )
    )
    print(line("series reads through the cache", sum(r.fetches for r in reports), "", "reported", None))
    print(line("evaluation per user and symbol", per_eval_us, "us", "<= 20 us", per_eval_us <= 20))
    print(line("intents", sum(r.intents for r in reports), "", "0 (a holding candle)", None))
    print(line("whole scan (all shards)", elapsed, "s", "reported", None))
    print(line("per user (all symbols)", elapsed / users * 1000, "ms", "reported", None))
    print(line("set-up: users and settings written", setup, "s", "-", None))


def _holding_time(feed, strategy, action, closed_candles) -> datetime:  # type: ignore[no-untyped-def]
    """The first 5-minute candle close from a fixed start where no symbol signals anything."""
    from datetime import UTC

    at = datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC)
    for _ in range(500):
        if all(
            strategy.decide(
                strategy.prepare(feed.candles(s, "5m", 100, at), "5m", at), None, strategy.settings_model()
            ).action
            is not action.ENTER
            for s in SYMBOLS
        ):
            return at
        at += timedelta(minutes=5)
    raise RuntimeError("no holding candle found")


if __name__ == "__main__":
    import sys

    main(*(int(a) for a in sys.argv[1:2]))
