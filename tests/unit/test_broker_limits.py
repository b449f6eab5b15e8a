"""The brokers' request limits as data, and the gate every broker request passes (no AWS): the
process-local TokenBuckets, an injected clock, and sleeps recorded instead of slept."""

from __future__ import annotations

import pytest

from nija.adapters.brokers.limits import LIMITS, BrokerLimits, RequestCost, limits
from nija.adapters.brokers.throttle import LocalTokenBuckets, RequestThrottle, throttle_for
from nija.domain.errors import BrokerRateLimited, BrokerTemporaryError, BrokerThrottled, UnknownOutcome
from nija.domain.models import BrokerName
from nija.domain.throttle import BucketKey, BucketLimit

T0 = 1_700_000_000.0
ALPACA_ORDERS = "https://paper-api.alpaca.markets/v2/orders"
BINANCE = "https://api.binance.com"
KRAKEN = "https://api.kraken.com"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class World:
    def __init__(self, broker: BrokerName, limits_: BrokerLimits | None = None, max_wait_s: float = 2.0):
        self.clock = Clock()
        self.slept: list[float] = []
        self.buckets = LocalTokenBuckets(self.clock)
        chosen = limits_ or limits(broker)
        assert chosen is not None
        self.throttle = RequestThrottle(chosen, self.buckets, max_wait_s=max_wait_s, sleep=self.slept.append)


# --- the limits, as published ------------------------------------------------------------------


def most_in(limit: BucketLimit | None, seconds: float) -> float:
    assert limit is not None
    return limit.capacity + limit.rate * seconds


def test_every_real_broker_has_limits_and_the_paper_broker_none() -> None:
    assert set(LIMITS) == {BrokerName.COINBASE, BrokerName.KRAKEN, BrokerName.BINANCE, BrokerName.ALPACA}
    assert limits(BrokerName.PAPER) is None
    assert throttle_for(BrokerName.PAPER, LocalTokenBuckets()) is None
    for name, found in LIMITS.items():
        assert found.broker is name
        throttle = throttle_for(name, LocalTokenBuckets())
        assert throttle is not None and throttle.broker is name


def test_coinbase_stays_under_30_a_second_per_key_and_10_per_ip() -> None:
    assert most_in(LIMITS[BrokerName.COINBASE].per_account, 1) <= 30
    assert most_in(LIMITS[BrokerName.COINBASE].per_broker, 1) <= 10


def test_kraken_stays_under_the_starter_counter() -> None:
    account = LIMITS[BrokerName.KRAKEN].per_account
    assert account is not None and account.capacity <= 15 and account.rate <= 0.33
    assert most_in(LIMITS[BrokerName.KRAKEN].per_broker, 10) <= 11  # about one public call a second


def test_binance_stays_under_its_weight_and_order_limits() -> None:
    assert most_in(LIMITS[BrokerName.BINANCE].per_broker, 60) <= 6000
    assert most_in(LIMITS[BrokerName.BINANCE].per_account, 10) <= 50
    assert most_in(LIMITS[BrokerName.BINANCE].per_account, 86_400) <= 160_000


def test_alpaca_stays_under_200_a_minute_per_account_and_for_the_platforms_market_data() -> None:
    assert most_in(LIMITS[BrokerName.ALPACA].per_account, 60) <= 200
    assert most_in(LIMITS[BrokerName.ALPACA].per_broker, 60) <= 200


@pytest.mark.parametrize(
    ("broker", "method", "url", "cost"),
    [
        (BrokerName.COINBASE, "GET", "https://api.coinbase.com/api/v3/brokerage/market/products", (0, 1)),
        (BrokerName.COINBASE, "GET", "https://api.coinbase.com/api/v3/brokerage/accounts", (1, 0)),
        (BrokerName.COINBASE, "post", "https://api.coinbase.com/api/v3/brokerage/orders", (1, 0)),
        (BrokerName.KRAKEN, "GET", f"{KRAKEN}/0/public/Ticker?pair=XBTUSD", (0, 1)),
        (BrokerName.KRAKEN, "POST", f"{KRAKEN}/0/private/BalanceEx", (1, 0)),
        (BrokerName.KRAKEN, "POST", f"{KRAKEN}/0/private/QueryTrades", (2, 0)),
        (BrokerName.KRAKEN, "POST", f"{KRAKEN}/0/private/AddOrder", (0, 0)),
        (BrokerName.KRAKEN, "POST", f"{KRAKEN}/0/private/CancelOrder", (0, 0)),
        (BrokerName.BINANCE, "POST", f"{BINANCE}/api/v3/order", (1, 1)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/klines?symbol=BTCUSDT&interval=5m", (0, 2)),
        (BrokerName.KRAKEN, "GET", f"{KRAKEN}/0/public/OHLC?pair=XBTUSD&interval=5", (0, 1)),
        (
            BrokerName.COINBASE,
            "GET",
            "https://api.coinbase.com/api/v3/brokerage/market/products/BTC-USD/candles",
            (0, 1),
        ),
        (
            BrokerName.ALPACA,
            "GET",
            "https://data.alpaca.markets/v1beta3/crypto/us/bars?symbols=BTC/USD",
            (0, 1),
        ),
        (BrokerName.ALPACA, "GET", "https://data.alpaca.markets/v2/stocks/bars?symbols=AAPL", (0, 1)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/order?symbol=BTCUSDT&origClientOrderId=x", (0, 4)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/account?timestamp=1", (0, 20)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/ticker/24hr?symbol=BTCUSDT", (0, 2)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/ticker/24hr", (0, 80)),
        (BrokerName.BINANCE, "GET", f"{BINANCE}/api/v3/somethingNew", (0, 20)),
        (BrokerName.ALPACA, "GET", "https://api.alpaca.markets/v2/account", (1, 0)),
        (BrokerName.ALPACA, "DELETE", f"{ALPACA_ORDERS}/b4f0a2c9", (1, 0)),
    ],
)
def test_what_a_request_costs(broker: BrokerName, method: str, url: str, cost: tuple[int, int]) -> None:
    assert LIMITS[broker].cost(method, url) == RequestCost(account=cost[0], broker=cost[1])


# --- the gate ------------------------------------------------------------------------------------


def test_requests_within_the_burst_go_at_once() -> None:
    world = World(BrokerName.ALPACA)
    for _ in range(20):
        assert world.throttle.acquire("GET", ALPACA_ORDERS, "u1") == 0
    assert world.slept == []
    bucket = world.buckets.peek(BucketKey("alpaca", "u1"))
    assert bucket is not None and bucket.tokens == 0 and bucket.version == 20


def test_a_short_wait_is_slept_then_the_request_goes() -> None:
    world = World(BrokerName.ALPACA)
    for _ in range(21):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    rate = LIMITS[BrokerName.ALPACA].per_account.rate  # type: ignore[union-attr]
    assert world.slept == [pytest.approx(1 / rate)]


def test_a_long_wait_is_refused_before_the_request_with_a_retry_after() -> None:
    world = World(BrokerName.ALPACA, max_wait_s=2.0)
    for _ in range(20):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    admitted = 0
    with pytest.raises(BrokerThrottled) as raised:
        while True:
            world.throttle.acquire("POST", ALPACA_ORDERS, "u1")
            admitted += 1
    assert admitted == 4  # 2 s of waiting at 2.33 a second
    error = raised.value
    assert isinstance(error, BrokerRateLimited) and isinstance(error, BrokerTemporaryError)
    assert not isinstance(error, UnknownOutcome)
    assert error.retryable and error.code == "broker_throttled"
    assert error.retry_after == 3  # ceil((5 - 0.33...) / 2.33)
    assert "not sent" in error.message and "this account's" in error.message
    assert len(world.slept) == 4


def test_a_refusal_takes_nothing_from_the_refusing_bucket() -> None:
    world = World(BrokerName.ALPACA, max_wait_s=0)
    for _ in range(20):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    before = world.buckets.peek(BucketKey("alpaca", "u1"))
    for _ in range(3):
        with pytest.raises(BrokerThrottled):
            world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    assert world.buckets.peek(BucketKey("alpaca", "u1")) == before


def test_time_refills_the_budget() -> None:
    world = World(BrokerName.ALPACA, max_wait_s=0)
    for _ in range(20):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    with pytest.raises(BrokerThrottled):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    world.clock.now += 3
    for _ in range(7):  # 3 s at 2.33 a second
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")
    with pytest.raises(BrokerThrottled):
        world.throttle.acquire("GET", ALPACA_ORDERS, "u1")


def test_one_accounts_budget_is_not_anothers() -> None:
    world = World(BrokerName.ALPACA, max_wait_s=0)
    for _ in range(20):
        world.throttle.acquire("GET", ALPACA_ORDERS, "alice")
    with pytest.raises(BrokerThrottled):
        world.throttle.acquire("GET", ALPACA_ORDERS, "alice")
    assert world.throttle.acquire("GET", ALPACA_ORDERS, "bob") == 0


def test_the_brokers_budget_holds_for_every_account() -> None:
    world = World(BrokerName.BINANCE, max_wait_s=0)
    account = f"{BINANCE}/api/v3/account?timestamp=1"  # weight 20, no order
    for i in range(30):  # 600 weight: the IP's burst, spent by 30 users
        world.throttle.acquire("GET", account, f"user-{i}")
    with pytest.raises(BrokerThrottled) as raised:
        world.throttle.acquire("GET", account, "someone-else")
    assert "the platform's" in raised.value.message
    assert world.buckets.peek(BucketKey("binance", "someone-else")) is None  # costs no order


def test_orders_and_weight_are_counted_apart_at_binance() -> None:
    world = World(BrokerName.BINANCE, max_wait_s=0)
    for _ in range(25):
        world.throttle.acquire("POST", f"{BINANCE}/api/v3/order", "u1")
    with pytest.raises(BrokerThrottled):
        world.throttle.acquire("POST", f"{BINANCE}/api/v3/order", "u1")
    world.throttle.acquire("GET", f"{BINANCE}/api/v3/order?symbol=BTCUSDT", "u1")  # a look-up is no order
    weight = world.buckets.peek(BucketKey("binance"))
    assert weight is not None and weight.tokens == 600 - 25 - 4


def test_the_keyless_client_takes_from_the_brokers_budget_only() -> None:
    world = World(BrokerName.KRAKEN)
    world.throttle.acquire("GET", f"{KRAKEN}/0/public/AssetPairs", None)
    assert world.buckets.peek(BucketKey("kraken")) is not None
    assert world.throttle.acquire("GET", f"{KRAKEN}/0/public/Ticker?pair=XBTUSD", None) == pytest.approx(1.0)
    assert world.slept == [pytest.approx(1.0)]


def test_a_request_that_costs_nothing_touches_no_bucket() -> None:
    world = World(BrokerName.KRAKEN, max_wait_s=0)
    for _ in range(100):
        world.throttle.acquire("POST", f"{KRAKEN}/0/private/AddOrder", "u1")
    assert world.buckets.peek(BucketKey("kraken", "u1")) is None
    assert world.buckets.peek(BucketKey("kraken")) is None


def test_the_wait_is_the_longer_of_the_two_budgets() -> None:
    tight = BrokerLimits(
        broker=BrokerName.BINANCE,
        per_account=BucketLimit(capacity=1, rate=1),
        per_broker=BucketLimit(capacity=1, rate=0.5),
        price=lambda method, path, query: RequestCost(account=1, broker=1),
    )
    world = World(BrokerName.BINANCE, tight, max_wait_s=5)
    world.throttle.acquire("GET", f"{BINANCE}/x", "u1")
    assert world.throttle.acquire("GET", f"{BINANCE}/x", "u1") == pytest.approx(2.0)
    assert world.slept == [pytest.approx(2.0)]


def test_a_gate_is_bound_to_its_account() -> None:
    world = World(BrokerName.ALPACA, max_wait_s=0)
    gate = world.throttle.gate("carol")
    for _ in range(20):
        gate("GET", ALPACA_ORDERS)
    with pytest.raises(BrokerThrottled):
        gate("GET", ALPACA_ORDERS)
    world.throttle.gate("dave")("GET", ALPACA_ORDERS)
