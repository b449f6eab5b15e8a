"""Outbound request budgets on moto: the real ccxt and alpaca-py clients on recorded responses
(tests/fixtures/brokers), each request taking its tokens from buckets in the state table first.

Every broker object has its own DynamoTokenBuckets, as two Lambda instances would. The clock is
injected and sleeps are recorded, not slept: nothing here depends on how fast the machine is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pytest
from fixtures.brokers.replay import Replay
from test_broker_adapters import VENUES, Venue, assert_filled, market_buy, placements, replaying

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.brokers import override_client_settings
from nija.adapters.brokers.alpaca_broker import AlpacaBroker
from nija.adapters.brokers.ccxt_broker import CcxtBroker
from nija.adapters.brokers.limits import LIMITS, BrokerLimits, RequestCost
from nija.adapters.brokers.throttle import RequestThrottle
from nija.adapters.dynamo.throttle import DynamoTokenBuckets
from nija.config import get_settings, reset_settings
from nija.domain.errors import BrokerThrottled, ServiceUnavailable, UnknownOutcome
from nija.domain.models import BrokerName
from nija.domain.orders import OrderStatus
from nija.domain.throttle import Bucket, BucketKey, BucketLimit
from nija.ports.broker import Broker
from tests.kit import an_executor

T0 = 1_700_000_000.0
USER = "user-1"
pytestmark = pytest.mark.members(USER, "alice", "bob")


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class Instance:
    """One function instance's view: its own buckets adapter (and memory), a broker object."""

    def __init__(self, venue: Venue, clock: Clock, limits: BrokerLimits | None = None, max_wait_s: float = 0):
        self.slept: list[float] = []
        self.buckets = DynamoTokenBuckets(clock=clock)
        self.throttle = RequestThrottle(
            limits or LIMITS[venue.broker], self.buckets, max_wait_s=max_wait_s, sleep=self.slept.append
        )
        read: Callable[[str], object] = lambda user_id: venue.credentials  # noqa: E731
        self.broker: Broker = (
            AlpacaBroker(read, throttle=self.throttle)  # type: ignore[arg-type]
            if venue.broker is BrokerName.ALPACA
            else CcxtBroker(venue.broker, read, throttle=self.throttle)  # type: ignore[arg-type]
        )


@pytest.fixture
def clock(aws: None) -> Clock:
    return Clock()


@contextmanager
def replay_of(venue: Venue, *cases: str) -> Iterator[Replay]:
    """The recorded interactions, without requiring that all of them are requested."""
    replay = Replay(venue.verify)
    replay.load(venue.name, *cases)
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        yield replay
    assert not replay.failures, replay.failures


def three_requests_a_day(broker: BrokerName) -> BrokerLimits:
    """Three requests per account, no refill to speak of: the fourth is refused at once."""
    return BrokerLimits(
        broker=broker,
        per_account=BucketLimit(capacity=3, rate=1 / 86_400),
        per_broker=None,
        price=lambda method, path, query: RequestCost(account=1),
    )


def test_two_instances_share_one_bucket(clock: Clock) -> None:
    venue = VENUES["alpaca"]
    first, second = (Instance(venue, clock, three_requests_a_day(BrokerName.ALPACA)) for _ in range(2))
    with replay_of(venue, "ok", "ok") as replay:
        assert first.broker.account(USER).balances()  # two requests
        with pytest.raises(BrokerThrottled):
            second.broker.account(USER).balances()  # the third goes, the fourth is held back
    assert [r.path_url for r in replay.requests] == ["/v2/account", "/v2/positions", "/v2/account"]
    stored = second.buckets.peek(BucketKey("alpaca", USER))
    assert stored == Bucket(tokens=0, updated_at=T0, version=3)


def test_a_throttled_order_is_held_back_before_anything_is_sent(clock: Clock) -> None:
    venue = VENUES["alpaca"]
    busy, idle = Instance(venue, clock), Instance(venue, clock)
    for _ in range(20):  # the other instance spends the account's burst
        busy.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    with replay_of(venue, "adapter_market_buy") as replay, pytest.raises(BrokerThrottled) as raised:
        idle.broker.account(USER).place_order(market_buy(venue))
    assert replay.requests == []
    assert not isinstance(raised.value, UnknownOutcome)
    assert raised.value.retryable and raised.value.retry_after >= 1


def test_a_binance_order_over_the_order_limit_is_held_back_after_the_markets(clock: Clock) -> None:
    venue = VENUES["binance"]
    busy, idle = Instance(venue, clock), Instance(venue, clock)
    for _ in range(25):  # the account's burst of new orders, placed by another instance
        busy.throttle.acquire("POST", "https://api.binance.com/api/v3/order", USER)
    with replay_of(venue, "adapter_markets", "adapter_market_buy") as replay, pytest.raises(BrokerThrottled):
        idle.broker.account(USER).place_order(market_buy(venue))
    assert [r.path_url.split("?")[0] for r in replay.requests] == ["/api/v3/exchangeInfo"]
    assert placements(replay) == []


def test_one_accounts_budget_does_not_hold_back_another_but_the_brokers_does(clock: Clock) -> None:
    throttle = Instance(VENUES["binance"], clock).throttle
    order, account = "https://api.binance.com/api/v3/order", "https://api.binance.com/api/v3/account"
    for _ in range(25):
        throttle.acquire("POST", order, "alice")
    with pytest.raises(BrokerThrottled) as alice:
        throttle.acquire("POST", order, "alice")
    assert "this account's" in alice.value.message
    throttle.acquire("POST", order, "bob")  # bob's orders are his own
    other = Instance(VENUES["binance"], clock).throttle
    for _ in range(28):  # others spend the IP's weight (600): 26 orders, 28 account reads of 20...
        other.acquire("GET", account, "carol")
    for _ in range(14):  # ...and 14 cancels of 1
        other.acquire("DELETE", order, "carol")
    with pytest.raises(BrokerThrottled) as bob:
        throttle.acquire("POST", order, "bob")
    assert "the platform's" in bob.value.message


def cost_of(replay: Replay, broker: BrokerName) -> RequestCost:
    costs = [LIMITS[broker].cost(r.method or "", r.url or "") for r in replay.requests]
    return RequestCost(account=sum(c.account for c in costs), broker=sum(c.broker for c in costs))


@pytest.mark.parametrize("name", list(VENUES))
def test_the_adapters_on_recorded_responses_take_a_token_for_every_request(clock: Clock, name: str) -> None:
    venue = VENUES[name]
    instance = Instance(venue, clock, max_wait_s=60)
    request = market_buy(venue)
    with replaying(venue, "adapter_market_buy") as replay:
        account = instance.broker.account(USER)
        placed = account.place_order(request)
        order = placed if placed.status is OrderStatus.FILLED else account.get_order(request.client_order_id)
    assert order is not None
    assert_filled(order, request)
    assert len(placements(replay)) == 1
    spent, limits = cost_of(replay, venue.broker), LIMITS[venue.broker]
    for key, limit, tokens in (
        (BucketKey(name, USER), limits.per_account, spent.account),
        (BucketKey(name), limits.per_broker, spent.broker),
    ):
        stored = instance.buckets.peek(key)
        if limit is None or tokens == 0:
            assert stored is None, key
        else:
            assert stored is not None and stored.tokens == pytest.approx(limit.capacity - tokens), key
    # Kraken's public budget is one call a second: the ticker-free order path needs one (markets).
    assert all(s <= 60 for s in instance.slept)


def test_idle_buckets_carry_the_tables_ttl_attribute(clock: Clock) -> None:
    instance = Instance(VENUES["alpaca"], clock)
    instance.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    table = get_settings().catalogue.state_table
    item = client("dynamodb").get_item(
        TableName=table.name, Key={"pk": {"S": f"THROTTLE#alpaca#{USER}"}, "sk": {"S": "BUCKET"}}
    )["Item"]
    assert table.ttl_attribute == "expires_at"
    limit = LIMITS[BrokerName.ALPACA].per_account
    assert limit is not None
    # one token short of full: back to full after 1 / rate seconds, then a minute of slack
    assert int(item["expires_at"]["N"]) == pytest.approx(T0 + 1 / limit.rate + 60, abs=1)


def test_an_expired_bucket_reads_as_full(clock: Clock) -> None:
    first, second = Instance(VENUES["alpaca"], clock), Instance(VENUES["alpaca"], clock)
    for _ in range(20):
        first.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    clock.now += 3600  # long past expires_at; DynamoDB's TTL deletes lazily, so the item may remain
    for _ in range(20):
        second.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    with pytest.raises(BrokerThrottled):
        first.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)


def test_a_state_table_that_does_not_answer_is_service_unavailable(
    clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIJA_STAGE", "nosuchstage")  # no table by that name
    reset_settings()
    try:
        throttle = Instance(VENUES["alpaca"], clock).throttle
        with pytest.raises(ServiceUnavailable):
            throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    finally:
        monkeypatch.setenv("NIJA_STAGE", "test")
        reset_settings()


def test_wiring_throttles_real_brokers_through_the_state_table_and_never_the_paper_broker(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NIJA_BROKER_THROTTLE_WAIT_S", "0.5")
    reset_settings()
    try:
        kraken = wiring.broker(BrokerName.KRAKEN)
        assert isinstance(kraken, CcxtBroker) and kraken.throttle is not None
        assert kraken.throttle.max_wait_s == 0.5
        assert isinstance(kraken.throttle._buckets, DynamoTokenBuckets)
        alpaca = wiring.broker(BrokerName.ALPACA)
        assert isinstance(alpaca, AlpacaBroker) and alpaca.throttle is not None
        paper = wiring.broker(BrokerName.PAPER)
        assert getattr(paper, "throttle", None) is None
        paper.seed_balances(USER, {"USD": Decimal(1000)})  # type: ignore[attr-defined]
        paper.account(USER).balances()
        table = get_settings().catalogue.state_table.name
        items = client("dynamodb").scan(TableName=table)["Items"]
        assert not [i for i in items if i["pk"]["S"].startswith("THROTTLE#")]
    finally:
        reset_settings()


def test_a_throttled_submit_waits_in_the_queue_without_counting_against_the_broker(clock: Clock) -> None:
    """Held back by our own budget, the order stays submitted (its message comes back later) and the
    broker's circuit breaker sees no failure: nothing reached the broker."""
    from nija.domain.messages import PlaceOrder
    from nija.domain.models import Principal
    from nija.logic.orders import OrderRequest, build_intent

    venue = VENUES["alpaca"]
    busy, idle = Instance(venue, clock), Instance(venue, clock)
    for _ in range(20):
        busy.throttle.acquire("GET", "https://paper-api.alpaca.markets/v2/account", USER)
    symbol, quantity = venue.market
    intent = build_intent(
        Principal(user_id=USER),
        OrderRequest(broker=BrokerName.ALPACA, symbol=symbol, side="buy", quantity=quantity),
        "throttled",
    )
    executor = an_executor(idle.broker, breakers=wiring.controls())
    with replay_of(venue, "adapter_market_buy") as replay:
        for _ in range(6):  # more than the breaker's threshold
            with pytest.raises(BrokerThrottled):
                executor.place(PlaceOrder(intent=intent))
    assert replay.requests == []
    order = wiring.orders().get_order(USER, intent.intent_id)
    assert order is not None and order.status is OrderStatus.SUBMITTED
    breaker = wiring.controls().store.breaker("alpaca")
    assert (breaker.state.value, breaker.failures) == ("closed", 0)
