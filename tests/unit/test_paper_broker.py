"""The paper broker on the in-memory book: fees, slippage, limits, reservation, exactly-once placement."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from kit import a_request

from nija.adapters.paper import book
from nija.adapters.paper.broker import PaperBroker
from nija.adapters.paper.feed import PaperFeed
from nija.adapters.paper.store import MemoryPaperStore
from nija.domain.errors import BrokerTemporaryError, InsufficientFunds, InvalidOrder
from nija.domain.models import OrderType, Side
from nija.domain.orders import OrderStatus
from nija.ports.broker import BrokerOrder, BrokerOrderRequest

T0 = datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC)
FEE = Decimal("0.001")
BPS = Decimal("5")


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def make(clock: Clock | None = None, store: MemoryPaperStore | None = None) -> tuple[PaperBroker, Clock]:
    clock = clock or Clock()
    broker = PaperBroker(PaperFeed(7, clock), store or MemoryPaperStore(), fee_rate=FEE, slippage_bps=BPS)
    return broker, clock


req = a_request


def first_time(feed: PaperFeed, symbol: str, start: datetime, test: object) -> tuple[datetime, Decimal]:
    """The first minute after start at which test(price) holds, with that price."""
    for minute in range(1, 7 * 24 * 60):
        at = start + timedelta(minutes=minute)
        price = feed.price(symbol, at)
        if test(price):  # type: ignore[operator]
            return at, price
    raise AssertionError("the feed never got there")


# --- pure math -------------------------------------------------------------------------------


def test_taker_price_moves_against_the_taker_and_rounds_to_a_tick() -> None:
    assert book.taker_price(Decimal("100.00"), Side.BUY, BPS, 2) == Decimal("100.05")
    assert book.taker_price(Decimal("100.00"), Side.SELL, BPS, 2) == Decimal("99.95")
    assert book.taker_price(Decimal("100.01"), Side.BUY, BPS, 2) == Decimal("100.07")  # 100.0600.. up
    assert book.taker_price(Decimal("100.01"), Side.SELL, BPS, 2) == Decimal("99.95")  # 99.9599.. down
    assert book.taker_price(Decimal("100"), Side.BUY, Decimal(0), 2) == Decimal("100.00")


def test_fee_is_the_rate_on_notional_rounded_up_to_8_decimals() -> None:
    assert book.fee_for(Decimal("1000"), FEE) == Decimal("1.00000000")
    assert book.fee_for(Decimal("0.000000001"), FEE) == Decimal("0.00000001")
    assert book.fee_for(Decimal("0"), FEE) == 0


def test_crossing_rules() -> None:
    assert book.crosses(Side.BUY, Decimal("100"), Decimal("100")) and book.crosses(
        Side.BUY, Decimal("100"), Decimal("99")
    )
    assert not book.crosses(Side.BUY, Decimal("100"), Decimal("100.01"))
    assert book.crosses(Side.SELL, Decimal("100"), Decimal("100")) and book.crosses(
        Side.SELL, Decimal("100"), Decimal("101")
    )
    assert not book.crosses(Side.SELL, Decimal("100"), Decimal("99.99"))


def test_ids_are_deterministic_and_distinct() -> None:
    assert book.broker_order_id("u1", "c1") == book.broker_order_id("u1", "c1")
    assert book.broker_order_id("u1", "c1") != book.broker_order_id("u2", "c1")
    ids = {
        book.trade_id(book.broker_order_id(u, c), n) for u in ("u1", "u2") for c in ("a", "b") for n in (1, 2)
    }
    assert len(ids) == 8


# --- market orders ---------------------------------------------------------------------------


def test_market_buy_fills_at_once_with_slippage_and_fee() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("10000")})
    mark = broker.mark_price("BTC/USD")
    assert mark is not None
    order = broker.account("u1").place_order(req("c1", "buy", "0.01"))
    price = book.taker_price(mark, Side.BUY, BPS, 2)
    fee = book.fee_for(price * Decimal("0.01"), FEE)
    assert order.status is OrderStatus.FILLED and order.filled_quantity == Decimal("0.01")
    (fill,) = order.fills
    assert (fill.price, fill.fee, fill.fee_currency, fill.timestamp) == (price, fee, "USD", T0)
    bal = broker.account("u1").balances()
    assert bal["USD"].total == bal["USD"].free == Decimal("10000") - price * Decimal("0.01") - fee
    assert bal["BTC"].total == Decimal("0.01")


def test_market_sell_credits_proceeds_net_of_fee() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("0"), "ETH": Decimal("2")})
    mark = broker.mark_price("ETH/USD")
    assert mark is not None
    order = broker.account("u1").place_order(req("s1", "sell", "1.5", symbol="ETH/USD"))
    price = book.taker_price(mark, Side.SELL, BPS, 2)
    assert order.fills[0].price == price < mark
    bal = broker.account("u1").balances()
    assert bal["ETH"].total == Decimal("0.5")
    assert bal["USD"].total == price * Decimal("1.5") - book.fee_for(price * Decimal("1.5"), FEE)


def test_insufficient_funds_places_nothing() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("100")})
    account = broker.account("u1")
    with pytest.raises(InsufficientFunds):
        account.place_order(req("c1", "buy", "1"))
    with pytest.raises(InsufficientFunds):
        account.place_order(req("c2", "sell", "0.001"))
    with pytest.raises(InsufficientFunds):
        account.place_order(req("c3", "buy", "1", limit="1000.00"))  # 1000 + fee reserved > 100
    assert account.get_order("c1") is None and account.get_order("c3") is None
    assert account.balances()["USD"].free == Decimal("100")


@pytest.mark.parametrize(
    "request_",
    [
        req("c1", "buy", "0.01", symbol="NOPE/USD"),
        req("c1", "buy", "0.000000001"),  # more decimals than the instrument has
        req("c1", "buy", "0.000001"),  # below the minimum quantity
        req("c1", "buy", "0.01", limit="100.001"),  # price has too many decimals
        BrokerOrderRequest(
            client_order_id="c1", symbol="BTC/USD", side=Side.BUY, type=OrderType.LIMIT, quantity=Decimal(1)
        ),
        BrokerOrderRequest(
            client_order_id="c1",
            symbol="BTC/USD",
            side=Side.BUY,
            type=OrderType.MARKET,
            quantity=Decimal(1),
            limit_price=Decimal(1),
        ),
        req("", "buy", "0.01"),
    ],
)
def test_invalid_orders_are_refused(request_: BrokerOrderRequest) -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("1000000")})
    with pytest.raises(InvalidOrder):
        broker.account("u1").place_order(request_)


# --- exactly once ----------------------------------------------------------------------------


def test_same_client_order_id_returns_the_same_order_and_charges_once() -> None:
    broker, clock = make()
    broker.seed_balances("u1", {"USD": Decimal("10000")})
    account = broker.account("u1")
    first = account.place_order(req("dup", "buy", "0.01"))
    after_first = account.balances()
    clock.now += timedelta(minutes=30)
    again = account.place_order(req("dup", "buy", "0.01"))
    different = account.place_order(req("dup", "sell", "0.05"))  # the id wins, never a second order
    assert first == again == different
    assert account.balances() == after_first


def test_trade_ids_are_stable_across_books_and_unique_across_orders() -> None:
    seen = []
    for _ in range(2):
        broker, _ = make()
        for user in ("u1", "u2"):
            broker.seed_balances(user, {"USD": Decimal("10000")})
            for cid in ("a", "b"):
                seen.append(broker.account(user).place_order(req(cid, "buy", "0.001")).fills[0].trade_id)
    assert seen[:4] == seen[4:]
    assert len(set(seen[:4])) == 4


def test_a_stale_writer_loses_and_returns_the_winners_order() -> None:
    """Two processes read 'no order' at the same time; the second write fails and it re-reads."""

    class Racing(MemoryPaperStore):
        def __init__(self) -> None:
            super().__init__()
            self.rival: PaperBroker | None = None

        def holdings(self, user_id: str) -> dict[str, book.Holding]:
            result = super().holdings(user_id)
            if self.rival is not None:  # the rival places in between this read and our write
                rival, self.rival = self.rival, None
                rival.account(user_id).place_order(req("race", "buy", "0.01"))
            return result

    store = Racing()
    broker, clock = make(store=store)
    rival = PaperBroker(PaperFeed(7, clock), store, fee_rate=FEE, slippage_bps=BPS)
    broker.seed_balances("u1", {"USD": Decimal("10000")})
    before = broker.account("u1").balances()["USD"].total
    store.rival = rival
    ours = broker.account("u1").place_order(req("race", "buy", "0.01"))
    assert ours == rival.account("u1").get_order("race")
    spent = before - broker.account("u1").balances()["USD"].total
    assert spent == ours.fills[0].price * Decimal("0.01") + ours.fills[0].fee  # charged once


# --- limit orders ----------------------------------------------------------------------------


def test_resting_buy_reserves_then_fills_at_its_limit_when_the_price_comes_down() -> None:
    broker, clock = make()
    feed = broker.feed
    assert isinstance(feed, PaperFeed)
    broker.seed_balances("u1", {"USD": Decimal("100000")})
    account = broker.account("u1")
    mark = feed.price("BTC/USD", T0)
    limit = (mark * Decimal("0.995")).quantize(Decimal("0.01"))
    order = account.place_order(req("lb", "buy", "0.5", limit=str(limit)))
    assert order.status is OrderStatus.ACCEPTED and order.fills == ()
    reserved = book.buy_reservation(Decimal("0.5"), limit, FEE)
    bal = account.balances()["USD"]
    assert (bal.total, bal.free) == (Decimal("100000"), Decimal("100000") - reserved)

    at, price = first_time(feed, "BTC/USD", T0, lambda p: p <= limit)
    clock.now = at - timedelta(minutes=1)
    assert account.get_order("lb").status is OrderStatus.ACCEPTED  # type: ignore[union-attr]
    clock.now = at
    filled = account.get_order("lb")  # touching the account matches it
    assert filled is not None and filled.status is OrderStatus.FILLED
    assert filled.fills[0].price == limit >= price
    bal = account.balances()
    assert bal["USD"].total == bal["USD"].free == Decimal("100000") - reserved
    assert bal["BTC"].total == Decimal("0.5")


def test_resting_sell_reserves_base_and_fills_through_match_resting() -> None:
    broker, clock = make()
    feed = broker.feed
    assert isinstance(feed, PaperFeed)
    broker.seed_balances("u1", {"SOL": Decimal("10")})
    mark = feed.price("SOL/USD", T0)
    limit = (mark * Decimal("1.004")).quantize(Decimal("0.01"))
    broker.account("u1").place_order(req("ls", "sell", "4", limit=str(limit), symbol="SOL/USD"))
    assert broker.account("u1").balances()["SOL"].free == Decimal("6")
    at, _ = first_time(feed, "SOL/USD", T0, lambda p: p >= limit)
    clock.now = at
    (filled,) = broker.match_all()
    assert filled.client_order_id == "ls" and filled.fills[0].price == limit
    assert broker.match_resting("u1") == []
    bal = broker.account("u1").balances()
    assert bal["SOL"].total == bal["SOL"].free == Decimal("6")
    assert bal["USD"].total == limit * 4 - book.fee_for(limit * 4, FEE)


def test_a_marketable_limit_fills_at_once_never_past_its_limit() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("100000")})
    mark = broker.mark_price("BTC/USD")
    assert mark is not None
    far = (mark * Decimal("1.05")).quantize(Decimal("0.01"))
    order = broker.account("u1").place_order(req("m1", "buy", "0.1", limit=str(far)))
    assert order.status is OrderStatus.FILLED
    assert order.fills[0].price == book.taker_price(mark, Side.BUY, BPS, 2)
    order = broker.account("u1").place_order(req("m2", "buy", "0.1", limit=str(mark)))
    assert order.fills[0].price == mark  # slippage capped at the limit


def test_reservations_limit_what_else_can_be_placed() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("1000")})
    account = broker.account("u1")
    account.place_order(req("r1", "buy", "1", limit="600.00", symbol="ETH/USD"))
    with pytest.raises(InsufficientFunds):
        account.place_order(req("r2", "buy", "1", limit="500.00", symbol="ETH/USD"))
    account.cancel_order("r1")
    assert (
        account.place_order(req("r2", "buy", "1", limit="500.00", symbol="ETH/USD")).status
        is OrderStatus.ACCEPTED
    )


def test_cancel_releases_the_reservation_and_is_idempotent() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("1000")})
    account = broker.account("u1")
    account.place_order(req("c1", "buy", "1", limit="600.00", symbol="ETH/USD"))
    canceled = account.cancel_order("c1")
    assert canceled.status is OrderStatus.CANCELED
    assert account.balances()["USD"].free == Decimal("1000")
    assert account.cancel_order("c1") == canceled
    assert account.balances()["USD"].free == Decimal("1000")
    filled = account.place_order(req("c2", "buy", "0.001"))
    assert account.cancel_order("c2") == filled  # an order that ended is returned as it is
    with pytest.raises(InvalidOrder) as err:
        account.cancel_order("missing")
    assert err.value.code == "order_not_found"


# --- accounts and seeding --------------------------------------------------------------------


def test_seed_is_idempotent_and_accounts_are_isolated() -> None:
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("500")})
    broker.account("u1").place_order(req("x", "buy", "1", limit="100.00", symbol="SOL/USD"))
    assert broker.seed_balances("u1", {"USD": Decimal("500"), "SOL": Decimal("1")})["USD"].total == Decimal(
        "500"
    )
    assert broker.account("u1").balances()["SOL"].total == Decimal("1")
    assert broker.account("u2").balances() == {}
    assert broker.account("u2").get_order("x") is None
    with pytest.raises(InvalidOrder):
        broker.account("u2").cancel_order("x")


def test_mark_price_is_the_feed_price_and_none_when_unknown() -> None:
    broker, _ = make()
    assert broker.mark_price("BTC/USD") == PaperFeed(7).price("BTC/USD", T0)
    assert broker.mark_price("NOPE/USD") is None


def test_concurrent_orders_never_overspend() -> None:
    """Many threads buy on one account: every fill is paid for once and the balance never goes negative."""
    broker, _ = make()
    broker.seed_balances("u1", {"USD": Decimal("1000")})
    results: list[object] = []

    def buyer(n: int) -> None:
        for k in range(5):
            try:
                results.append(
                    broker.account("u1").place_order(req(f"t{n}-{k}", "buy", "1", symbol="SOL/USD"))
                )
            except (InsufficientFunds, BrokerTemporaryError) as exc:
                results.append(exc)

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    filled = [r for r in results if isinstance(r, BrokerOrder)]
    assert len(results) == 40 and filled
    assert any(isinstance(r, InsufficientFunds) for r in results)
    bal = broker.account("u1").balances()
    spent = sum(o.fills[0].price + o.fills[0].fee for o in filled)
    assert bal["USD"].total == Decimal("1000") - spent >= 0
    assert bal["SOL"].total == len(filled)
