"""The paper broker: the Broker port over the deterministic feed and a shared paper book.

Every operation reads the state it needs, computes a Change with the pure rules of `book`, and
asks the store to apply it only if that state is unchanged; on a conflict it re-reads and tries
again a few times. Resting limit orders are matched lazily, whenever the user's account is touched,
and by `match_resting` / `match_all`, which a timer can call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal

from nija.adapters.paper import book
from nija.adapters.paper.book import Holding, PaperOrder
from nija.adapters.paper.feed import PaperFeed
from nija.adapters.paper.store import PaperStore
from nija.config import Settings, get_settings
from nija.domain.errors import (
    BrokerTemporaryError,
    InsufficientFunds,
    InvalidInput,
    InvalidOrder,
    OrderNotFound,
)
from nija.domain.models import BrokerName, utcnow
from nija.ports.broker import Balance, BrokerOrder, BrokerOrderRequest
from nija.ports.market_data import MarketData

MAX_ATTEMPTS = 5


def _attempts(limit: int = MAX_ATTEMPTS) -> Iterator[int]:
    for attempt in range(limit):
        if attempt:
            time.sleep(0.005 * 2**attempt)
        yield attempt


class PaperBroker:
    """Broker for BrokerName.PAPER. Every process built over the same store sees the same book."""

    name = BrokerName.PAPER

    def __init__(
        self,
        feed: MarketData,
        store: PaperStore,
        *,
        fee_rate: Decimal = Decimal("0.001"),
        slippage_bps: Decimal = Decimal("5"),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.feed = feed
        self.store = store
        self.fee_rate = fee_rate
        self.slippage_bps = slippage_bps
        self.clock: Callable[[], datetime] = clock or getattr(feed, "clock", None) or utcnow

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        store: PaperStore | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> PaperBroker:
        """The broker the platform runs: the seeded feed and the book in the DynamoDB state table."""
        settings = settings or get_settings()
        if store is None:
            from nija.adapters.paper.dynamo import DynamoPaperStore

            store = DynamoPaperStore()
        return cls(
            PaperFeed(settings.feed_seed, clock),
            store,
            fee_rate=settings.paper_fee_rate,
            slippage_bps=settings.paper_slippage_bps,
            clock=clock,
        )

    def account(self, user_id: str) -> PaperAccount:
        if not user_id:
            raise InvalidOrder("a paper account needs a user id")
        return PaperAccount(self, user_id)

    def mark_price(self, symbol: str) -> Decimal | None:
        try:
            return self.feed.price(symbol, self.clock())
        except InvalidInput:
            return None

    def seed_balances(self, user_id: str, amounts: Mapping[str, Decimal]) -> dict[str, Balance]:
        """Fund a user once: each asset the user does not hold yet starts at the given amount."""
        if any(amount < 0 for amount in amounts.values()):
            raise InvalidOrder("a seed balance cannot be negative")
        self.store.seed(user_id, amounts)
        return self.account(user_id).balances()

    def match_resting(self, user_id: str) -> list[BrokerOrder]:
        return self.account(user_id).match_resting()

    def match_all(self) -> list[BrokerOrder]:
        """Match the resting orders of every user that has some (the local stack's timer)."""
        return [order for user in self.store.users_with_open_orders() for order in self.match_resting(user)]


class PaperAccount:
    """One user's paper account (the BrokerAccount port)."""

    broker = BrokerName.PAPER

    def __init__(self, owner: PaperBroker, user_id: str) -> None:
        self._b = owner
        self.user_id = user_id

    @property
    def _store(self) -> PaperStore:
        return self._b.store

    def _mark(self, symbol: str, now: datetime) -> Decimal:
        return self._b.feed.price(symbol, now)

    def place_order(self, request: BrokerOrderRequest) -> BrokerOrder:
        """Place once per client order id: a repeat returns the order the first call made."""
        book.validate(request)
        self.match_resting()
        for _ in _attempts():
            existing = self._store.get_order(self.user_id, request.client_order_id)
            if existing is not None:
                return book.to_broker_order(existing)
            holdings = self._store.holdings(self.user_id)
            now = self._b.clock()
            change = book.place(
                self.user_id,
                request,
                holdings,
                self._mark(request.symbol, now),
                fee_rate=self._b.fee_rate,
                slippage_bps=self._b.slippage_bps,
                now=now,
            )
            if self._store.apply(change):
                return book.to_broker_order(change.order)
        raise BrokerTemporaryError(f"paper book busy; order {request.client_order_id} not placed")

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        self.match_resting()
        order = self._store.get_order(self.user_id, client_order_id)
        return book.to_broker_order(order) if order else None

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        """Cancel a resting order. An order that already ended is returned as it is."""
        self.match_resting()
        for _ in _attempts():
            order = self._store.get_order(self.user_id, client_order_id)
            if order is None:
                raise OrderNotFound(f"no paper order {client_order_id}")
            change = book.cancel(order, self._store.holdings(self.user_id))
            if change is None:
                return book.to_broker_order(order)
            if self._store.apply(change):
                return book.to_broker_order(change.order)
        raise BrokerTemporaryError(f"paper book busy; order {client_order_id} not canceled")

    def balances(self) -> dict[str, Balance]:
        self.match_resting()
        return book.to_balances(self._store.holdings(self.user_id))

    def match_resting(self) -> list[BrokerOrder]:
        """Fill every resting order the current price crosses; returns the orders filled now."""
        orders = self._store.open_orders(self.user_id)
        if not orders:
            return []
        holdings = self._store.holdings(self.user_id)
        now = self._b.clock()
        marks: dict[str, Decimal] = {}
        filled: list[BrokerOrder] = []
        for order in orders:
            mark = marks.setdefault(order.symbol, self._mark(order.symbol, now))
            done = self._match_one(order, holdings, mark, now)
            if done is not None:
                filled.append(book.to_broker_order(done))
        return filled

    def _match_one(
        self, order: PaperOrder, holdings: dict[str, Holding], mark: Decimal, now: datetime
    ) -> PaperOrder | None:
        """Fill one order if it crosses; `holdings` is kept current. None when it stays resting."""
        current: PaperOrder | None = order
        for _ in _attempts():
            if current is None:
                return None
            try:
                change = book.match(current, holdings, mark, fee_rate=self._b.fee_rate, now=now)
            except InsufficientFunds:
                return None  # only if the fee rate rose since it was placed; it stays resting
            if change is None:
                return None
            if self._store.apply(change):
                holdings.update({h.asset: h for h in change.holdings})
                return change.order
            current = self._store.get_order(self.user_id, order.client_order_id)
            holdings.clear()
            holdings.update(self._store.holdings(self.user_id))
        return None  # still contended: the next touch tries again
