"""GET /v1/dashboard in process through the dashboard_api Lambda handler on moto, for a user with
1,000 trades (recorded through the executor's real path). Target: p99 <= 25 ms.

Also reported: GET /v1/analytics/pnl/daily?days=30 (from the per-15-minute buckets each fill adds to)
beside what reading the same 1,000 trades by time (gsi2) costs, the design it was chosen over.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bench.report import line, moto_platform, percentile

TRADES = 1000
CALLS = 1000
SYMBOLS = ("BTC/USD", "ETH/USD", "SOL/USD", "DOGE/USD", "AAPL/USD")


def _setup() -> str:
    """A user with 1,000 fills over 30 days in five symbols, each position left open."""
    from nija import wiring
    from nija.domain.models import BrokerName, Fill, OrderIntent, OrderType, Side, User, utcnow
    from nija.domain.orders import Order, OrderStatus
    from nija.ports.broker import BrokerOrder
    from tests.kit import an_executor

    user_id = str(uuid.uuid4())
    paper = wiring.broker(BrokerName.PAPER)
    wiring.users().put_user(User(user_id=user_id, email="bench@nija.local"))
    paper.seed_balances(user_id, {"USD": Decimal("1000000"), "BTC": Decimal("1")})  # type: ignore[attr-defined]
    executor = an_executor(paper)
    now = utcnow()
    for n in range(TRADES):
        symbol = SYMBOLS[n % len(SYMBOLS)]
        side = Side.BUY if (n // len(SYMBOLS)) % 3 != 2 else Side.SELL  # buy, buy, sell: positions grow
        at = now - timedelta(minutes=43 * (TRADES - n))  # about 30 days
        price = Decimal(100 + n % 17)
        intent = OrderIntent(
            intent_id=f"bench-{n}",
            client_order_id=f"bench-{n}",
            user_id=user_id,
            broker=BrokerName.PAPER,
            symbol=symbol,
            side=side,
            type=OrderType.MARKET,
            quantity=Decimal(1),
            source="bench",
            created_at=at,
        )
        order, _ = wiring.orders().claim_for_submission(Order.from_intent(intent))
        fill = Fill(trade_id=f"t-{n}", quantity=Decimal(1), price=price, fee=Decimal("0.1"), timestamp=at)
        executor.reconcile(
            order,
            BrokerOrder(
                broker_order_id=f"b-{n}",
                client_order_id=intent.client_order_id,
                symbol=symbol,
                status=OrderStatus.FILLED,
                filled_quantity=Decimal(1),
                fills=(fill,),
            ),
        )
    wiring.risk_store().start_day(user_id, now - timedelta(days=1), Decimal("1000000"), now)
    return user_id


def _time(call: Any, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t) * 1000)
    return samples


def main() -> None:
    env = dict(
        NIJA_AUTH_MODE="gateway",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_SERVICE_NAME="dashboard_api",
        POWERTOOLS_METRICS_DISABLED="true",
    )
    with moto_platform(**env):
        from nija import wiring
        from nija.local.lambda_runtime import LambdaContext, load_event, load_function

        user_id = _setup()
        fn = load_function("dashboard_api", "bench")
        ctx = LambdaContext("nija-bench-dashboard-api")
        dashboard = load_event("dashboard_api/dashboard", user_id=user_id)
        daily = load_event("dashboard_api/analytics_pnl_daily", user_id=user_id, days="30")

        def get(event: dict[str, Any]) -> Any:
            def call() -> None:
                r = fn.handler(event, ctx)
                assert r["statusCode"] == 200, r

            return call

        def read_trades() -> None:  # the alternative for daily PnL: every trade in the range
            token, count = None, 0
            while True:
                items, token = wiring.ledger().list_trades(user_id, 100, token)
                count += len(items)
                if token is None:
                    break
            assert count == TRADES, count

        _time(get(dashboard), 50)  # warm: the first request builds the app, clients and caches
        d = _time(get(dashboard), CALLS)
        _time(get(daily), 20)
        p = _time(get(daily), 200)
        t = _time(read_trades, 20)
    print(
        f"GET /v1/dashboard in process through the Lambda handler on moto, {TRADES} trades, {CALLS} calls (ms)"
    )
    p50, p99 = percentile(d, 50), percentile(d, 99)
    print(line("GET /v1/dashboard p50", p50, "ms", "reported", None))
    print(line("GET /v1/dashboard p99", p99, "ms", "<= 25 ms", p99 <= 25))
    print(line("GET /v1/analytics/pnl/daily?days=30 p50", percentile(p, 50), "ms", "reported", None))
    print(line("GET /v1/analytics/pnl/daily?days=30 p99", percentile(p, 99), "ms", "reported", None))
    print(line("reading the 1,000 trades instead, p50", percentile(t, 50), "ms", "reported (not used)", None))


if __name__ == "__main__":
    main()
