"""Market data (the MarketData port) on the real ccxt and alpaca-py clients, and its cache on moto.

Each request the clients build goes through the replay transport (tests/fixtures/brokers), which
checks it against the recorded interaction and answers with the exchange's documented response
(tests/fixtures/brokers/<broker>/candles*.json, each with its "source"). Nothing reaches the network.
The cache's tests count the HTTP requests the replay saw: a request nobody recorded fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from fixtures.brokers.replay import Replay, recording

from nija.adapters.brokers import override_client_settings
from nija.adapters.brokers.alpaca_candles import AlpacaMarketData
from nija.adapters.brokers.ccxt_candles import CcxtMarketData
from nija.adapters.brokers.throttle import LocalTokenBuckets, RequestThrottle
from nija.adapters.dynamo import keys
from nija.adapters.dynamo.models import CandlesItem
from nija.adapters.market_cache import MARGIN_S, CachedMarketData
from nija.adapters.paper.feed import PaperFeed
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerRateLimited,
    BrokerTemporaryError,
    InvalidInput,
)
from nija.domain.market import Candle
from nija.domain.models import BrokerName
from nija.domain.throttle import BucketKey
from nija.ports.market_data import MarketData

pytest.importorskip("ccxt.coinbase")
pytest.importorskip("alpaca.data.historical.crypto")

D = Decimal
UNTIL = datetime(2026, 5, 10, 8, 2, 30, tzinfo=UTC)  # the 08:00 candle is still forming
T0745, T0750, T0755 = 1778399100, 1778399400, 1778399700
SYMBOLS = {"coinbase": "BTC/USD", "kraken": "BTC/USD", "binance": "BTC/USDT", "alpaca": "BTC/USD"}
NAMES = list(SYMBOLS)

# What each exchange must be asked for the 3 closed 5m candles before UNTIL (07:45 to 07:55).
EXPECTED_QUERY: dict[str, dict[str, str]] = {
    "coinbase": {"granularity": "FIVE_MINUTE", "start": str(T0745), "end": str(T0755 + 299)},
    "kraken": {"pair": "XXBTZUSD", "interval": "5", "since": str(T0745 - 300)},
    "binance": {
        "symbol": "BTCUSDT",
        "interval": "5m",
        "startTime": str(T0745 * 1000),
        "endTime": str((T0755 + 300) * 1000 - 1),
        "limit": "3",
    },
    "alpaca": {
        "symbols": "BTC/USD",
        "timeframe": "5Min",
        "start": "2026-05-10T07:45:00+00:00",
        "end": "2026-05-10T07:55:00+00:00",
        "limit": "3",
        "sort": "desc",
    },
}
AUTH_HEADERS = ("Authorization", "API-Key", "API-Sign", "X-MBX-APIKEY", "APCA-API-KEY-ID")


def adapter(name: str, throttle: RequestThrottle | None = None) -> MarketData:
    if name == "alpaca":
        return AlpacaMarketData(throttle=throttle)
    return CcxtMarketData(BrokerName(name), throttle=throttle)


@contextmanager
def replaying(name: str, *cases: str) -> Iterator[Replay]:
    """The exchange's markets (ccxt: loaded once per adapter) then the cases, all of them requested."""
    replay = Replay()
    if name != "alpaca":
        replay.load(name, "adapter_markets")
    replay.load(name, *cases)
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        yield replay
    replay.assert_done()


def query(request: requests.PreparedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}


def candle_requests(replay: Replay) -> list[requests.PreparedRequest]:
    paths = ("/candles", "/OHLC", "/bars", "/klines")
    return [r for r in replay.requests if urlsplit(r.url or "").path.endswith(paths)]


def opens(candles: list[Candle]) -> list[int]:
    return [int(c.timestamp.timestamp()) for c in candles]


# --- the adapters ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_the_last_closed_candles_oldest_first_never_the_forming_one(name: str) -> None:
    with replaying(name, "candles") as replay:
        candles = adapter(name).candles(SYMBOLS[name], "5m", 3, UNTIL)
    assert opens(candles) == [T0745, T0750, T0755]
    first, last = candles[0], candles[-1]
    assert (first.open, first.high, first.low, first.close) == (
        D("64210.5"),
        D("64255.0"),
        D("64190.1"),
        D("64240.2"),
    )
    assert last.close == D("64262.8") and last.volume == D("11.02236")
    assert all(isinstance(v, Decimal) for c in candles for v in (c.open, c.high, c.low, c.close, c.volume))
    (sent,) = candle_requests(replay)
    assert query(sent) == EXPECTED_QUERY[name]
    for request in replay.requests:  # public market data: no keys anywhere
        assert not any(h in request.headers for h in AUTH_HEADERS), request.url


def test_coinbase_builds_4h_candles_from_its_2h_ones() -> None:
    with replaying("coinbase", "candles_4h") as replay:
        candles = adapter("coinbase").candles("BTC/USD", "4h", 2, UNTIL)
    (sent,) = candle_requests(replay)
    assert query(sent)["granularity"] == "TWO_HOUR"
    assert opens(candles) == [1778371200, 1778385600]  # 00:00 and 04:00; 08:00 is forming
    assert candles[0] == Candle(
        timestamp=datetime(2026, 5, 10, tzinfo=UTC),
        open=D("63800.0"),
        high=D("64120.0"),
        low=D("63710.2"),
        close=D("64100.4"),
        volume=D("189.75"),
    )
    assert (candles[1].open, candles[1].close, candles[1].volume) == (
        D("64100.4"),
        D("64240.2"),
        D("215.625"),
    )


@pytest.mark.parametrize(
    ("status", "error"), [(429, BrokerRateLimited), (503, BrokerTemporaryError), (500, BrokerTemporaryError)]
)
@pytest.mark.parametrize("name", NAMES)
def test_refusals_map_onto_the_taxonomy(name: str, status: int, error: type[BrokerError]) -> None:
    (interaction,) = recording(name, "candles")["interactions"]
    body = {"message": "slow down"} if name == "alpaca" else {"error": ["EGeneral:Temporary lockout"]}
    with replaying(name) as replay:
        replay.pending.append(
            {"request": interaction["request"], "response": {"status": status, "json": body}}
        )
        with pytest.raises(error):
            adapter(name).candles(SYMBOLS[name], "5m", 3, UNTIL)


@pytest.mark.parametrize("name", ["kraken", "alpaca"])
def test_no_answer_is_a_temporary_error(name: str) -> None:
    (interaction,) = recording(name, "candles")["interactions"]
    with replaying(name) as replay:
        replay.pending.append({"request": interaction["request"], "raise": "ReadTimeout"})
        with pytest.raises(BrokerTemporaryError):
            adapter(name).candles(SYMBOLS[name], "5m", 3, UNTIL)


@pytest.mark.parametrize(
    ("symbol", "timeframe", "limit", "field"),
    [("DOGE/EUR", "5m", 3, "symbol"), ("BTC/USD", "7m", 3, "timeframe"), ("BTC/USD", "5m", 0, "limit")],
)
@pytest.mark.parametrize("name", ["kraken", "alpaca"])
def test_a_request_no_exchange_could_answer_is_refused_before_sending(
    name: str, symbol: str, timeframe: str, limit: int, field: str
) -> None:
    replay = Replay()
    with override_client_settings(adapter=replay), pytest.raises(InvalidInput) as raised:
        adapter(name).candles(symbol, timeframe, limit, UNTIL)
    assert raised.value.field == field
    assert replay.requests == []


def test_alpaca_equity_bars_need_keys_and_nothing_is_sent_without() -> None:
    replay = Replay()
    with override_client_settings(adapter=replay), pytest.raises(BrokerAuthFailed):
        AlpacaMarketData().candles("AAPL/USD", "1h", 10, UNTIL)
    assert replay.requests == []


@pytest.mark.parametrize(("name", "tokens"), [("kraken", 1), ("binance", 2), ("coinbase", 1), ("alpaca", 1)])
def test_candle_requests_take_their_tokens_from_the_brokers_budget(name: str, tokens: int) -> None:
    from nija.adapters.brokers.limits import limits

    found = limits(BrokerName(name))
    assert found is not None and found.per_broker is not None
    buckets = LocalTokenBuckets(clock=lambda: 1000.0)  # no refill: what was taken stays visible
    throttle = RequestThrottle(found, buckets, max_wait_s=1e6, sleep=lambda s: None)
    with replaying(name, "candles") as replay:
        adapter(name, throttle).candles(SYMBOLS[name], "5m", 3, UNTIL)
    (sent,) = candle_requests(replay)
    assert found.cost("GET", sent.url or "").broker == tokens
    # Every request (the markets too) took from the broker-wide bucket, the keyless scope.
    bucket = buckets.peek(BucketKey(name))
    assert bucket is not None
    spent = sum(found.cost(r.method or "GET", r.url or "").broker for r in replay.requests)
    assert found.per_broker.capacity - bucket.tokens == pytest.approx(spent)


# --- the cache -----------------------------------------------------------------------------------


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_a_second_read_within_the_ttl_sends_nothing_and_a_read_after_the_next_close_fetches(
    aws: None,
) -> None:
    clock = Clock(UNTIL)
    with replaying("alpaca", "candles") as replay:
        cache = CachedMarketData(AlpacaMarketData(clock=clock), BrokerName.ALPACA, clock=clock)
        first = cache.candles("BTC/USD", "5m", 3)
        assert len(replay.requests) == 1
        clock.at = UNTIL + timedelta(minutes=2)  # 08:04:30, the 08:00 candle still forming
        assert cache.candles("BTC/USD", "5m", 3) == first
        assert len(replay.requests) == 1
        clock.at = UNTIL + timedelta(minutes=3)  # 08:05:30: the 08:00 candle has closed
        replay.load("alpaca", "candles_next")
        later = cache.candles("BTC/USD", "5m", 3)
        assert len(replay.requests) == 2
    assert opens(later) == [T0750, T0755, T0755 + 300]


def test_two_instances_share_the_window_through_the_state_table(aws: None) -> None:
    clock = Clock(UNTIL)
    with replaying("kraken", "candles") as replay:
        one = CachedMarketData(CcxtMarketData(BrokerName.KRAKEN, clock=clock), BrokerName.KRAKEN, clock=clock)
        fetched = one.candles("BTC/USD", "5m", 3)
        sent = len(replay.requests)
        # Another function instance: its own adapter (no markets loaded) and its own memo.
        other = CachedMarketData(
            CcxtMarketData(BrokerName.KRAKEN, clock=clock), BrokerName.KRAKEN, clock=clock
        )
        assert other.candles("BTC/USD", "5m", 3) == fetched
        assert len(replay.requests) == sent
    item = CandlesItem.get(keys.candles_pk("kraken", "BTC/USD", "5m"), keys.candles_sk(T0755 + 300, 3))
    # Kept until the next candle (08:00 to 08:05) closes, plus the margin: the table's TTL attribute.
    assert int(item.expires_at) == T0755 + 600 + MARGIN_S
    assert len(item.candles) < 1000


def test_an_expired_item_not_yet_deleted_is_not_used(aws: None) -> None:
    clock = Clock(UNTIL)
    feed = PaperFeed(seed=7, clock=clock)
    CandlesItem(
        keys.candles_pk("paper", "BTC/USD", "5m"),
        keys.candles_sk(T0755 + 300, 3),
        candles="[]",
        expires_at=T0745,
    ).save()
    cache = CachedMarketData(feed, BrokerName.PAPER, clock=clock)
    assert cache.candles("BTC/USD", "5m", 3) == feed.candles("BTC/USD", "5m", 3)


def test_a_window_short_of_its_newest_candle_is_asked_again_soon(aws: None) -> None:
    """The exchange has not published the candle that just closed: that answer is kept briefly."""
    clock = Clock(UNTIL + timedelta(minutes=5))  # 08:07:30: the window should end with 08:00
    with replaying("alpaca", "candles") as replay:
        cache = CachedMarketData(AlpacaMarketData(clock=clock), BrokerName.ALPACA, clock=clock)
        assert opens(cache.candles("BTC/USD", "5m", 2)) == [T0750, T0755]
        clock.at += timedelta(seconds=10)
        cache.candles("BTC/USD", "5m", 2)
        assert len(replay.requests) == 1
        clock.at += timedelta(seconds=30)
        replay.load("alpaca", "candles_next")
        assert opens(cache.candles("BTC/USD", "5m", 2)) == [T0755, T0755 + 300]
        assert len(replay.requests) == 2


def test_the_paper_feed_keeps_the_ports_contract() -> None:
    feed = PaperFeed(seed=7)
    on_the_boundary = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)  # 08:00 candle opens: not closed
    candles = feed.candles("BTC/USD", "5m", 3, on_the_boundary)
    assert opens(candles) == [T0745, T0750, T0755]
    assert opens(feed.candles("BTC/USD", "5m", 3, UNTIL)) == [T0745, T0750, T0755]


def test_wiring_gives_each_broker_its_cached_market_data(aws: None) -> None:
    from nija import wiring

    for name in BrokerName:
        found = wiring.market_data(name)
        assert isinstance(found, CachedMarketData)
        assert found.shared is (name is not BrokerName.PAPER)
    assert isinstance(wiring.market_data(BrokerName.ALPACA).inner, AlpacaMarketData)  # type: ignore[attr-defined]
