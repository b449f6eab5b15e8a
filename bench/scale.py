"""10,000 users on one broker (Binance: the tightest per-IP limit) on moto in process: one whole
reconciliation period run minute by minute as the executor's schedule runs it, then one strategy scan
period (every shard inline), against a broker double that answers each balance call after 80 ms and
enforces Binance's documented limit (6,000 request weight a minute per IP, 20 per account read).

Prints (issue 15): the longest sync invocation against half the executor's timeout, the broker's
request weight in its busiest minute against the limit, DynamoDB requests per user per period, users
checked against users due, and the longest scan shard against half the scan's timeout."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bench.report import counted_calls, line, moto_platform

USERS = int(os.environ.get("NIJA_BENCH_SCALE_USERS", "10000"))
DELAY_S = 0.08  # an exchange's answer, as seen from AWS
WEIGHT_PER_READ = 20  # Binance: GET /api/v3/account
WEIGHT_PER_MINUTE = 6000  # Binance: request weight per IP per minute
START = datetime(2026, 12, 1, tzinfo=UTC)


class Limited(Exception):
    pass


class BinanceDouble:
    """Balance reads answered after DELAY_S, weighed as Binance weighs them; over the minute's
    weight, a 429 (BrokerTemporaryError). Every user holds what our ledger says, so no drift."""

    def __init__(self, clock: Any) -> None:
        from nija.domain.models import BrokerName

        self.name = BrokerName.BINANCE
        self.clock = clock
        self.lock = threading.Lock()
        self.window: deque[float] = deque()
        self.per_minute: Counter[int] = Counter()
        self.refused = 0

    def account(self, user_id: str) -> Any:
        return _Account(self, user_id)

    def read(self) -> dict[str, Any]:
        from nija.domain.errors import BrokerTemporaryError
        from nija.ports.broker import Balance

        now = self.clock().timestamp()
        with self.lock:
            while self.window and self.window[0] <= now - 60:
                self.window.popleft()
            if (len(self.window) + 1) * WEIGHT_PER_READ > WEIGHT_PER_MINUTE:
                self.refused += 1
                raise BrokerTemporaryError("429: request weight over the limit")
            self.window.append(now)
            self.per_minute[int(now // 60)] += WEIGHT_PER_READ
        time.sleep(DELAY_S)
        one = Decimal(1)
        return {
            "USDT": Balance(asset="USDT", free=one, total=one),
            "BTC": Balance(asset="BTC", free=one, total=one),
        }


class _Account:
    def __init__(self, venue: BinanceDouble, user_id: str) -> None:
        self.venue, self.user_id = venue, user_id

    def balances(self) -> dict[str, Any]:
        return self.venue.read()


def _users() -> list[str]:
    """USERS users with Binance keys (their metadata: the double needs no secret), one BTC each."""
    from nija import wiring
    from nija.adapters.dynamo.mapping import position_item
    from nija.domain.credentials import CredentialMetadata, Permission
    from nija.domain.models import BrokerName, Position, User
    from nija.domain.settings import StrategySettings

    index, users = wiring.credential_index(), []
    settings = StrategySettings(
        enabled=True, brokers=(BrokerName.BINANCE,), symbols=("BTC/USDT",), timeframe="5m"
    )
    for i in range(USERS):
        user = f"{i:08d}-0000-4000-8000-00000000b1a5"
        wiring.users().put_user(User(user_id=user, email=f"scale{i}@example.com"))
        index.put_metadata(
            CredentialMetadata(
                user_id=user,
                broker=BrokerName.BINANCE,
                masked_key="****b1a5",
                version=1,
                permissions=Permission(read=True, trade=True, withdraw=False),
                created_at=START,
                validated_at=START,
                wrapped_at=START,
            )
        )
        position = Position(
            user_id=user, broker=BrokerName.BINANCE, symbol="BTC/USDT", quantity=Decimal(1), version=1
        )
        position_item(position).save()
        wiring.settings_store().put(user, settings)
        users.append(user)
    return users


def _reconciliation_period(users: list[str]) -> None:
    from nija import wiring
    from nija.domain.models import BrokerName
    from nija.domain.reconciliation import SWEEP_MINUTES
    from nija.logic.broker_sync import BrokerSync
    from nija.logic.reconcile import Reconciler
    from tests.kit import an_executor

    now = [START]
    venue = BinanceDouble(lambda: now[0])
    reconciler = Reconciler(
        venue,  # type: ignore[arg-type]
        wiring.ledger(),
        wiring.audit_records(),
        wiring.reconcile_book(),
        wiring.risk_store(),
        lambda broker, symbol: Decimal(90000),
        clock=lambda: now[0],
    )
    sync = BrokerSync(
        an_executor(venue), wiring.orders(), reconciler, wiring.reconcile_book(), lambda: now[0]
    )  # type: ignore[arg-type]
    period = SWEEP_MINUTES[BrokerName.BINANCE]
    timeout = 30.0  # the executor's (nija.catalogue)
    longest, checked, due, skipped = 0.0, 0, 0, Counter[str]()
    with counted_calls() as calls:
        for minute in range(period):
            now[0] = START + timedelta(minutes=minute)
            started = time.perf_counter()
            report = sync.run()
            longest = max(longest, time.perf_counter() - started)
            checked, due = checked + report.checked, due + report.due
            skipped.update(report.skipped)
    requests = {op: n for (service, op), n in calls.items() if service == "dynamodb"}
    reads = sum(n for op, n in requests.items() if op in ("GetItem", "Query", "BatchGetItem", "Scan"))
    writes = sum(requests.values()) - reads
    busiest = max(venue.per_minute.values(), default=0)
    print(f"Reconciliation: {len(users)} Binance users, one sweep period ({period} runs, one a minute)")
    print(
        line(
            "users checked / users due",
            checked / max(due, 1) * 100,
            "%",
            "100 %",
            checked == due == len(users),
        )
    )
    print(line("users skipped (any reason)", sum(skipped.values()), "", "0", not skipped))
    print(
        line(
            "longest sync invocation",
            longest,
            "s",
            f"<= {timeout / 2:.0f} s (half its timeout)",
            longest <= timeout / 2,
        )
    )
    print(
        line(
            "busiest minute's request weight",
            busiest,
            "",
            f"<= {WEIGHT_PER_MINUTE}",
            busiest <= WEIGHT_PER_MINUTE,
        )
    )
    print(line("DynamoDB reads per user per period", reads / len(users), "", "reported", None))
    print(line("DynamoDB writes per user per period", writes / len(users), "", "reported", None))


class FlatFeed:
    """Candles that never cross a threshold: the scan decides, and holds, for everyone."""

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Any]:
        from nija.domain.market import Candle

        at = (until or START).replace(second=0, microsecond=0)
        price = Decimal(90000)
        return [
            Candle(
                timestamp=at - timedelta(minutes=5 * (limit - i)),
                open=price,
                high=price,
                low=price,
                close=price,
                volume=Decimal(1),
            )
            for i in range(limit)
        ]

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        return Decimal(90000)


def _scan_period(users: list[str]) -> None:
    from nija import wiring
    from nija.adapters.market_cache import CachedMarketData
    from nija.config import get_settings
    from nija.domain.models import BrokerName
    from nija.domain.settings import SCAN_SHARDS

    cache = CachedMarketData(FlatFeed(), BrokerName.BINANCE, shared=True)  # type: ignore[arg-type]
    scanner = wiring.scanner()
    scanner.market = lambda broker: cache
    scanner.clock = lambda: START + timedelta(minutes=5, seconds=1)
    timeout = get_settings().catalogue.strategy_scan(BrokerName.BINANCE).timeout_s
    longest, scanned = 0.0, 0
    for shard in range(SCAN_SHARDS):
        started = time.perf_counter()
        report = scanner.run(shard, BrokerName.BINANCE)
        longest = max(longest, time.perf_counter() - started)
        scanned += report.users
    print(f"Strategy scan: the same users, one period ({SCAN_SHARDS} shards inline), no broker calls")
    print(line("users scanned", scanned, "", str(len(users)), scanned == len(users)))
    print(
        line(
            "longest shard invocation",
            longest,
            "s",
            f"<= {timeout / 2:.0f} s (half its timeout)",
            longest <= timeout / 2,
        )
    )


def main() -> None:
    with moto_platform(POWERTOOLS_METRICS_DISABLED="true", POWERTOOLS_TRACE_DISABLED="true"):
        started = time.perf_counter()
        users = _users()
        print(
            f"set-up: {len(users)} users with keys, settings and a position in {time.perf_counter() - started:.0f} s"
        )
        _reconciliation_period(users)
        _scan_period(users)


if __name__ == "__main__":
    main()
