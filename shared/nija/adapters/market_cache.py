"""Candles read once per series and candle: a MarketData that caches another.

A window of candles is named by (broker, symbol, timeframe, close time of its newest candle, limit):
the close time follows from `until` alone, so every scan of the same candle, in any function
instance, asks for the same window before anything is fetched. A window lives in two places:

- the state table, one item per window (keys.candles_pk / candles_sk), the candles as compact JSON
  ([open time, open, high, low, close, volume] with exact decimal strings: 200 candles are about
  15 KB, far under DynamoDB's 400 KB item limit; a window too big to store is kept in memory only).
  Its expires_at, the table's TTL attribute, is when the next candle closes plus a margin, so the
  item goes away by itself; a reader checks expires_at too (TTL deletion lags by up to two days).
- a small in-process memo, so the same invocation (or a warm one) does not read the table again.

A series that lacks its newest candle (the exchange has not published it yet, or nothing traded: a
closed stock market) is kept only INCOMPLETE_TTL_S seconds, so a later scan asks again rather than
deciding a whole timeframe on a candle short. A window whose candles are long closed (a backtest's
`until`) cannot change: it is kept one timeframe from now. Prices (tickers) are not cached.

A failure of the table (read or write) only costs the cache: the candles are fetched and returned.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

from pynamodb.exceptions import PynamoDBException

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import CandlesItem
from nija.config import Settings
from nija.domain.market import TIMEFRAME_SECONDS, Candle, closed_window
from nija.domain.models import BrokerName, utcnow
from nija.domain.money import fmt
from nija.ports.market_data import MarketData

log = logging.getLogger(__name__)

MARGIN_S = 60
INCOMPLETE_TTL_S = 30
MAX_MEMO = 256
MAX_ITEM_BYTES = 350_000  # DynamoDB's item limit is 400 KB, keys and names included

Window = tuple[str, str, int, int]  # symbol, timeframe, close of the newest candle, limit


class CachedMarketData:
    """MarketData `inner` of `broker`, its candles cached in the state table (shared=True) and in
    this process."""

    def __init__(
        self,
        inner: MarketData,
        broker: BrokerName,
        *,
        shared: bool = True,
        clock: Callable[[], datetime] = utcnow,
        margin_s: int = MARGIN_S,
        incomplete_ttl_s: int = INCOMPLETE_TTL_S,
        max_memo: int = MAX_MEMO,
    ) -> None:
        self.inner = inner
        self.broker = broker
        self.shared = shared
        self._clock = clock
        self._margin_s = margin_s
        self._incomplete_ttl_s = incomplete_ttl_s
        self._max_memo = max_memo
        self._memo: OrderedDict[Window, tuple[float, list[Candle]]] = OrderedDict()
        self._lock = threading.Lock()
        if shared:
            bind()

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        return self.inner.price(symbol, at)

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        step = TIMEFRAME_SECONDS.get(timeframe)
        if step is None or limit < 1:
            return self.inner.candles(symbol, timeframe, limit, until)  # it refuses them
        now = _aware(self._clock())
        at = _aware(until) if until is not None else now
        _, last = closed_window(timeframe, limit, at)
        window: Window = (symbol, timeframe, last + step, limit)
        found = self._remembered(window, now.timestamp())
        if found is None and self.shared:
            found = self._read(window, now.timestamp())
        if found is not None:
            return list(found)
        candles = self.inner.candles(symbol, timeframe, limit, at)
        complete = bool(candles) and int(candles[-1].timestamp.timestamp()) == last
        if complete:
            # Good until the next candle closes; a window closed long ago cannot change: for a while.
            next_close = last + 2 * step
            if next_close <= now.timestamp():
                next_close = int(now.timestamp()) + step
            expires = next_close + self._margin_s
        else:
            expires = int(now.timestamp()) + self._incomplete_ttl_s
        self._remember(window, expires, candles)
        if self.shared:
            self._write(window, expires, candles)
        return list(candles)

    # -- the memo ----------------------------------------------------------------------------

    def _remembered(self, window: Window, now: float) -> list[Candle] | None:
        with self._lock:
            entry = self._memo.get(window)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._memo[window]
                return None
            self._memo.move_to_end(window)
            return entry[1]

    def _remember(self, window: Window, expires: float, candles: list[Candle]) -> None:
        with self._lock:
            self._memo[window] = (expires, list(candles))
            self._memo.move_to_end(window)
            while len(self._memo) > self._max_memo:
                self._memo.popitem(last=False)

    # -- the state table ---------------------------------------------------------------------

    def _keys(self, window: Window) -> tuple[str, str]:
        symbol, timeframe, close, limit = window
        return keys.candles_pk(self.broker.value, symbol, timeframe), keys.candles_sk(close, limit)

    def _read(self, window: Window, now: float) -> list[Candle] | None:
        pk, sk = self._keys(window)
        try:
            item = CandlesItem.get(pk, sk)
        except CandlesItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            log.warning("candle cache unreadable", extra={"pk": pk, "sk": sk, "error": type(exc).__name__})
            return None
        if float(item.expires_at) <= now:
            return None
        candles = decode(item.candles)
        self._remember(window, float(item.expires_at), candles)
        return candles

    def _write(self, window: Window, expires: int, candles: list[Candle]) -> None:
        pk, sk = self._keys(window)
        body = encode(candles)
        if len(body) > MAX_ITEM_BYTES:
            log.info("candle window too big to share", extra={"pk": pk, "sk": sk, "bytes": len(body)})
            return
        try:
            CandlesItem(pk, sk, candles=body, expires_at=expires).save()
        except PynamoDBException as exc:
            log.warning("candle cache not written", extra={"pk": pk, "sk": sk, "error": type(exc).__name__})


def encode(candles: list[Candle]) -> str:
    """[[open time (epoch s), open, high, low, close, volume], ...] with exact decimal strings."""
    rows = [
        [int(c.timestamp.timestamp()), fmt(c.open), fmt(c.high), fmt(c.low), fmt(c.close), fmt(c.volume)]
        for c in candles
    ]
    return json.dumps(rows, separators=(",", ":"))


def decode(body: str) -> list[Candle]:
    return [
        Candle(
            timestamp=datetime.fromtimestamp(t, UTC),
            open=Decimal(o),
            high=Decimal(h),
            low=Decimal(low),
            close=Decimal(c),
            volume=Decimal(v),
        )
        for t, o, h, low, c, v in json.loads(body)
    ]


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def market_data_for(broker: BrokerName, settings: Settings) -> MarketData:
    """The broker's candles and prices, candles cached per (broker, symbol, timeframe, candle):
    coinbase, kraken and binance through ccxt's public endpoints, alpaca through alpaca-py's data
    clients (keyless: crypto only), each request within the broker's shared budgets; all shared
    through the state table. The paper feed is pure and computes a window faster than a table read,
    so its candles are kept in this process only."""
    if broker is BrokerName.PAPER:
        from nija.adapters.paper.feed import PaperFeed

        return CachedMarketData(PaperFeed(settings.feed_seed), broker, shared=False)
    from nija.adapters.brokers.throttle import throttle_for
    from nija.adapters.dynamo.throttle import DynamoTokenBuckets

    throttle = throttle_for(broker, DynamoTokenBuckets(), max_wait_s=settings.broker_throttle_wait_s)
    inner: MarketData
    if broker is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_candles import AlpacaMarketData

        inner = AlpacaMarketData(throttle=throttle)
    else:
        from nija.adapters.brokers.ccxt_candles import CcxtMarketData

        inner = CcxtMarketData(broker, throttle=throttle)
    return CachedMarketData(inner, broker)
