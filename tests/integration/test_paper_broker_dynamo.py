"""The paper book in DynamoDB (moto): shared across broker instances, isolated per user, exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from kit import a_request

from nija.adapters.paper import book
from nija.adapters.paper.broker import PaperBroker
from nija.adapters.paper.dynamo import DynamoPaperStore
from nija.adapters.paper.feed import PaperFeed
from nija.config import get_settings
from nija.domain.errors import InsufficientFunds, InvalidOrder
from nija.domain.orders import OrderStatus
from nija.ports.broker import BrokerOrderRequest

pytestmark = pytest.mark.members("u1", "alice", "bob")

T0 = datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def req(
    cid: str, side: str, qty: str, limit: str | None = None, symbol: str = "ETH/USD"
) -> BrokerOrderRequest:
    return a_request(cid, side, qty, limit, symbol)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def broker(aws: None, clock: Clock) -> PaperBroker:
    return PaperBroker.from_settings(clock=clock)


def test_from_settings_uses_the_settings(broker: PaperBroker) -> None:
    settings = get_settings()
    assert isinstance(broker.store, DynamoPaperStore)
    assert (broker.fee_rate, broker.slippage_bps) == (settings.paper_fee_rate, settings.paper_slippage_bps)
    assert broker.mark_price("BTC/USD") == PaperFeed(settings.feed_seed).price("BTC/USD", T0)


def test_book_is_shared_between_broker_instances(broker: PaperBroker, clock: Clock) -> None:
    other = PaperBroker.from_settings(clock=clock)  # another process: same table, same feed
    broker.seed_balances("u1", {"USD": Decimal("10000")})
    bought = broker.account("u1").place_order(req("m1", "buy", "1"))
    assert other.account("u1").get_order("m1") == bought
    mark = broker.mark_price("ETH/USD")
    assert mark is not None
    limit = (mark * Decimal("0.99")).quantize(Decimal("0.01"))
    resting = other.account("u1").place_order(req("l1", "buy", "1", limit=str(limit)))
    assert resting.status is OrderStatus.ACCEPTED
    usd = broker.account("u1").balances()["USD"]
    cost = bought.fills[0].price + bought.fills[0].fee
    reserved = book.buy_reservation(Decimal(1), limit, broker.fee_rate)
    assert (usd.total, usd.free) == (Decimal("10000") - cost, Decimal("10000") - cost - reserved)

    feed = broker.feed
    assert isinstance(feed, PaperFeed)
    minute = next(
        m for m in range(1, 7 * 24 * 60) if feed.price("ETH/USD", T0 + timedelta(minutes=m)) <= limit
    )
    clock.now = T0 + timedelta(minutes=minute)
    assert broker.store.users_with_open_orders() == ["u1"]
    (filled,) = other.match_all()
    assert filled.client_order_id == "l1" and filled.fills[0].price == limit
    assert broker.account("u1").get_order("l1") == filled
    assert broker.store.users_with_open_orders() == []
    bal = broker.account("u1").balances()
    assert bal["USD"].total == bal["USD"].free == Decimal("10000") - cost - reserved
    assert bal["ETH"].total == Decimal(2)


def test_two_accounts_are_isolated(broker: PaperBroker) -> None:
    broker.seed_balances("alice", {"USD": Decimal("5000")})
    broker.seed_balances("bob", {"USD": Decimal("100")})
    alice, bob = broker.account("alice"), broker.account("bob")
    order = alice.place_order(req("same-id", "buy", "1", limit="1000.00"))
    assert bob.get_order("same-id") is None
    with pytest.raises(InvalidOrder):
        bob.cancel_order("same-id")
    with pytest.raises(InsufficientFunds):
        bob.place_order(req("same-id", "buy", "1", limit="1000.00"))  # bob's own funds, bob's own ids
    assert bob.balances()["USD"].free == Decimal("100")
    assert alice.get_order("same-id") == order
    assert alice.cancel_order("same-id").status is OrderStatus.CANCELED
    assert alice.balances()["USD"].free == Decimal("5000")


def test_seed_is_idempotent(broker: PaperBroker) -> None:
    broker.seed_balances("u1", {"USD": Decimal("100")})
    broker.account("u1").place_order(req("m", "buy", "0.01"))
    spent = broker.account("u1").balances()["USD"].total
    assert broker.seed_balances("u1", {"USD": Decimal("100")})["USD"].total == spent < Decimal("100")


def test_a_stale_change_writes_nothing(broker: PaperBroker) -> None:
    """The balance and the order land together or not at all, guarded by version and status."""
    store = broker.store
    broker.seed_balances("u1", {"USD": Decimal("1000")})
    stale = store.holdings("u1")
    broker.account("u1").place_order(req("first", "buy", "0.1"))
    change = book.place(
        "u1",
        req("second", "buy", "0.1"),
        stale,
        Decimal("3000"),
        fee_rate=Decimal("0.001"),
        slippage_bps=Decimal(5),
        now=T0,
    )
    assert store.apply(change) is False
    assert store.get_order("u1", "second") is None
    assert store.holdings("u1")["USD"].version == stale["USD"].version + 1  # only the first order's change


class Interleaved(DynamoPaperStore):
    """Lets two threads read before either writes, and makes each DynamoDB call atomic.

    Real DynamoDB applies each request atomically; in-process moto does not guard its tables against
    threads, so calls are serialized here. The race that matters (both read "no order", both write)
    still happens, because both threads read before the barrier and write after it.
    """

    lock = threading.Lock()

    def __init__(self, barrier: threading.Barrier) -> None:
        super().__init__()
        self.barrier = barrier
        self.waited = False
        self.conflicts = 0

    def _atomic(self, call: Callable[..., Any], *args: Any) -> Any:
        with self.lock:
            return call(*args)

    def get_order(self, user_id: str, client_order_id: str) -> book.PaperOrder | None:
        return self._atomic(super().get_order, user_id, client_order_id)

    def open_orders(self, user_id: str) -> list[book.PaperOrder]:
        return self._atomic(super().open_orders, user_id)

    def holdings(self, user_id: str) -> dict[str, book.Holding]:
        result = self._atomic(super().holdings, user_id)
        if not self.waited:
            self.waited = True
            self.barrier.wait(timeout=10)
        return result

    def apply(self, change: book.Change) -> bool:
        applied = self._atomic(super().apply, change)
        self.conflicts += not applied
        return applied

    def seed(self, user_id: str, amounts: Any) -> None:
        self._atomic(super().seed, user_id, amounts)


def test_concurrent_double_place_makes_one_order(aws: None, clock: Clock) -> None:
    barrier = threading.Barrier(2)
    stores = [Interleaved(barrier), Interleaved(barrier)]
    brokers = [PaperBroker.from_settings(store=s, clock=clock) for s in stores]
    for s in stores:
        s.waited = True
    brokers[0].seed_balances("u1", {"USD": Decimal("10000")})
    for s in stores:
        s.waited = False
    results: list[Any] = [None, None]

    def place(i: int) -> None:
        results[i] = brokers[i].account("u1").place_order(req("twice", "buy", "1"))

    threads = [threading.Thread(target=place, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert results[0] is not None and results[0] == results[1]
    assert sorted(s.conflicts for s in stores) == [0, 1]  # the loser's write was refused, then it re-read
    (fill,) = results[0].fills
    usd = brokers[0].account("u1").balances()["USD"]
    assert usd.total == Decimal("10000") - fill.price - fill.fee  # charged once
    assert brokers[0].account("u1").balances()["ETH"].total == Decimal(1)
