"""The MarketData port for coinbase, kraken and binance: public candles through ccxt's fetch_ohlcv.

Market data needs no keys: one keyless client per broker and process (ccxt_client.
build_public_exchange, the one CcxtBroker reads markets and tickers with), its markets loaded
once. Given a throttle, every request takes its tokens from the broker's shared budgets first
(the keyless scope: the broker-wide, per-IP bucket), like every other request to the broker.

What each exchange is asked (ccxt builds the request; the tests check it on recorded answers):
- coinbase: GET /api/v3/brokerage/market/products/{id}/candles?granularity&start&end (public
  Advanced Trade, at most 300 candles a request). Coinbase has no 4h candles: 4h is built from 1h.
- kraken: GET /0/public/OHLC?pair&interval&since (the 720 most recent candles after `since`, the
  last of them still forming; there is no end parameter, so older history is out of reach).
- binance: GET /api/v3/klines?symbol&interval&startTime&endTime&limit (at most 1000).

The port's contract holds whatever the exchange sends: the last `limit` candles that have closed by
`until`, oldest first; a still-forming candle is never returned. An exchange omits candles in which
nothing traded, so an illiquid market may give fewer than `limit`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers.ccxt_client import (
    EXCHANGE_IDS,
    build_public_exchange,
    public_market_params,
    translated,
)
from nija.domain.errors import InvalidInput, NotFound
from nija.domain.instruments import instrument
from nija.domain.market import TIMEFRAME_SECONDS, Candle, closed_window
from nija.domain.models import BrokerName, utcnow
from nija.domain.money import to_decimal

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

    from nija.adapters.brokers.throttle import RequestThrottle

MAX_CANDLES = 5000
# Candles one request may ask for, per exchange.
PAGE_SIZE: dict[BrokerName, int] = {
    BrokerName.COINBASE: 300,
    BrokerName.KRAKEN: 720,
    BrokerName.BINANCE: 1000,
}


def check_request(broker: BrokerName, symbol: str, timeframe: str, limit: int) -> int:
    """Refuse a request no exchange could answer (before anything is sent); the timeframe's seconds."""
    instrument(broker, symbol)
    if timeframe not in TIMEFRAME_SECONDS:
        raise InvalidInput(f"unknown timeframe {timeframe!r}", field="timeframe")
    if not 1 <= limit <= MAX_CANDLES:
        raise InvalidInput(f"limit must be between 1 and {MAX_CANDLES}", field="limit")
    return TIMEFRAME_SECONDS[timeframe]


def aggregate(candles: list[Candle], step: int) -> list[Candle]:
    """Shorter candles (oldest first) merged into candles of `step` seconds, aligned to the epoch."""
    groups: dict[int, list[Candle]] = {}
    for candle in candles:
        start = int(candle.timestamp.timestamp()) // step * step
        groups.setdefault(start, []).append(candle)
    return [
        Candle(
            timestamp=datetime.fromtimestamp(start, UTC),
            open=group[0].open,
            high=max(c.high for c in group),
            low=min(c.low for c in group),
            close=group[-1].close,
            volume=sum((c.volume for c in group), Decimal(0)),
        )
        for start, group in sorted(groups.items())
    ]


class CcxtMarketData:
    """MarketData for one ccxt broker, over its public endpoints."""

    def __init__(
        self,
        broker: BrokerName,
        *,
        throttle: RequestThrottle | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if broker not in EXCHANGE_IDS:
            raise ValueError(f"{broker} is not a ccxt broker")
        self.broker = broker
        self.throttle = throttle
        self._clock = clock
        self._client: Exchange | None = None
        self._lock = threading.Lock()

    def exchange(self) -> Exchange:
        """The keyless client, its markets loaded (once per process)."""
        with self._lock:
            if self._client is None:
                client = build_public_exchange(
                    self.broker, gate=self.throttle.gate(None) if self.throttle else None
                )
                with translated(self.broker):
                    markets = client.fetch_markets(public_market_params(self.broker))
                client.set_markets(markets)
                self._client = client
            return self._client

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        """The ticker's last price now; at a given time, the close of the last minute closed by then."""
        if at is not None:
            found = self.candles(symbol, "1m", 1, at)
            if not found:
                raise NotFound(f"{self.broker.value} has no {symbol} trade in the minute before {at}")
            return found[-1].close
        instrument(self.broker, symbol)
        exchange = self.exchange()
        with translated(self.broker):
            ticker = exchange.fetch_ticker(symbol)
        last = ticker.get("last") or ticker.get("close")
        if last is None and ticker.get("bid") and ticker.get("ask"):
            return (to_decimal(ticker["bid"]) + to_decimal(ticker["ask"])) / 2
        if last is None:
            raise NotFound(f"{self.broker.value} has no last price for {symbol}")
        return to_decimal(last)

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        step = check_request(self.broker, symbol, timeframe, limit)
        first, last = closed_window(timeframe, limit, until or self._clock())
        exchange = self.exchange()
        native, native_step = self._native(exchange, timeframe, step)
        rows = self._fetch(exchange, symbol, native, native_step, first, last + step - native_step)
        candles = [_candle(row) for row in rows]
        if native_step != step:
            candles = aggregate(candles, step)
        return [c for c in candles if first <= c.timestamp.timestamp() <= last][-limit:]

    def _native(self, exchange: Exchange, timeframe: str, step: int) -> tuple[str, int]:
        """The exchange's own timeframe for `timeframe`, or the longest it has that divides it."""
        supported = exchange.timeframes or {}
        if timeframe in supported:
            return timeframe, step
        divisors = [(int(exchange.parse_timeframe(name)), name) for name in supported]
        fitting = [(seconds, name) for seconds, name in divisors if seconds < step and step % seconds == 0]
        if not fitting:
            raise InvalidInput(f"{self.broker.value} has no {timeframe} candles", field="timeframe")
        seconds, name = max(fitting)
        return name, seconds

    def _fetch(
        self, exchange: Exchange, symbol: str, timeframe: str, step: int, first: int, last: int
    ) -> list[list[Any]]:
        """The candles opening in [first, last] (epoch seconds), a page at a time, oldest first."""
        rows: dict[int, list[Any]] = {}
        start = first
        while start <= last:
            count = min(PAGE_SIZE[self.broker], (last - start) // step + 1)
            params: dict[str, Any] = {}
            if self.broker is not BrokerName.KRAKEN:  # kraken has no end: it answers up to now
                params["until"] = (start + count * step) * 1000 - 1
            with translated(self.broker):
                page = exchange.fetch_ohlcv(symbol, timeframe, since=start * 1000, limit=count, params=params)
            for row in page:
                if first * 1000 <= int(row[0]) <= last * 1000:
                    rows[int(row[0])] = row
            if self.broker is BrokerName.KRAKEN and page and int(page[-1][0]) >= last * 1000:
                break  # kraken sent everything up to now at once
            start += count * step
        return [rows[t] for t in sorted(rows)]


def _candle(row: list[Any]) -> Candle:
    timestamp, open_, high, low, close, volume = row[:6]
    return Candle(
        timestamp=datetime.fromtimestamp(int(timestamp) / 1000, UTC),
        open=to_decimal(open_),
        high=to_decimal(high),
        low=to_decimal(low),
        close=to_decimal(close),
        volume=to_decimal(volume if volume is not None else "0"),
    )
