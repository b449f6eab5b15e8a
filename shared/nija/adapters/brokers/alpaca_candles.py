"""The MarketData port for alpaca: historical bars and latest trades through alpaca-py's data clients.

Alpaca's market data API (data.alpaca.markets) serves crypto without keys and equities only with
them. Built without keys, this adapter reads crypto (BTC/USD) through CryptoHistoricalDataClient
and refuses an equity (AAPL/USD) with BrokerAuthFailed before anything is sent; built with a
platform data key (AlpacaCredentials: any account's key reads market data), it reads equities
through StockHistoricalDataClient on the free IEX feed (SIP needs a paid subscription).

What is asked (alpaca-py builds the request; the tests check it on recorded answers):
- crypto: GET /v1beta3/crypto/us/bars?symbols&timeframe&start&end&limit&sort=desc
- equities: GET /v2/stocks/bars?symbols&timeframe&start&end&limit&sort=desc&feed=iex
- price(): GET /v1beta3/crypto/us/latest/trades?symbols, /v2/stocks/trades/latest?symbols&feed=iex

Bars come newest first from `end` (the open time of the last candle closed by `until`), so a market
closed at nights and weekends still gives the last `limit` bars it traded; they are returned oldest
first. Every request passes the throttle's keyless gate (the broker-wide data budget), and alpaca-py's
own retries are off, as for the trading client: a 429 is BrokerRateLimited at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers import ClientSettings, client_settings, gate_requests, mount
from nija.adapters.brokers.alpaca_broker import alpaca_symbol
from nija.adapters.brokers.alpaca_client import _default_timeout, translated
from nija.adapters.brokers.ccxt_candles import check_request
from nija.domain.credentials import AlpacaCredentials
from nija.domain.errors import BrokerAuthFailed, NotFound
from nija.domain.market import Candle, closed_window
from nija.domain.models import BrokerName, utcnow
from nija.domain.money import to_decimal

if TYPE_CHECKING:
    from alpaca.common.rest import RESTClient
    from alpaca.data.historical.crypto import CryptoHistoricalDataClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.data.timeframe import TimeFrame

    from nija.adapters.brokers.throttle import RequestThrottle

# How far back an equity's window reaches, beyond the candles asked: nights, weekends, holidays.
EQUITY_SLACK_FACTOR = 4
EQUITY_SLACK = timedelta(days=5)


def timeframe_of(timeframe: str) -> TimeFrame:
    """Our timeframe name (TIMEFRAME_SECONDS) as alpaca-py's TimeFrame (5Min, 1Hour, 4Hour, 1Day)."""
    from alpaca.data.timeframe import TimeFrame, TimeFrameUnit

    amount, unit = int(timeframe[:-1]), timeframe[-1]
    units = {"m": TimeFrameUnit.Minute, "h": TimeFrameUnit.Hour, "d": TimeFrameUnit.Day}
    return TimeFrame(amount, units[unit])


class AlpacaMarketData:
    """MarketData for BrokerName.ALPACA."""

    broker = BrokerName.ALPACA

    def __init__(
        self,
        credentials: AlpacaCredentials | None = None,
        *,
        throttle: RequestThrottle | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.throttle = throttle
        self._credentials = credentials
        self._clock = clock
        self._clients: dict[str, RESTClient] = {}
        self._lock = threading.Lock()

    def _client(self, crypto: bool) -> Any:
        kind = "crypto" if crypto else "stock"
        with self._lock:
            client = self._clients.get(kind)
            if client is None:
                client = self._clients[kind] = self._build(crypto, client_settings())
            return client

    def _build(
        self, crypto: bool, settings: ClientSettings
    ) -> CryptoHistoricalDataClient | StockHistoricalDataClient:
        keys: dict[str, Any] = {}
        if self._credentials is not None:
            keys = {
                "api_key": self._credentials.key_id,
                "secret_key": self._credentials.secret_key.get_secret_value(),
            }
        client: CryptoHistoricalDataClient | StockHistoricalDataClient
        if crypto:
            from alpaca.data.historical.crypto import CryptoHistoricalDataClient

            client = CryptoHistoricalDataClient(raw_data=True, **keys)
        else:
            if not keys:
                raise BrokerAuthFailed(
                    "alpaca serves equity market data only with API keys; none are configured"
                )
            from alpaca.data.historical.stock import StockHistoricalDataClient

            client = StockHistoricalDataClient(raw_data=True, **keys)
        client._retry = 0
        _default_timeout(client._session, settings.timeout_s)
        mount(client._session, settings)
        gate_requests(client._session, self.throttle.gate(None) if self.throttle else None)
        return client

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        step = check_request(self.broker, symbol, timeframe, limit)
        first, last = closed_window(timeframe, limit, until or self._clock())
        native = alpaca_symbol(symbol)
        crypto = "/" in native
        start = datetime.fromtimestamp(first, UTC)
        end = datetime.fromtimestamp(last, UTC)
        fields: dict[str, Any] = {
            "symbol_or_symbols": native,
            "timeframe": timeframe_of(timeframe),
            "end": end,
            "limit": limit,
        }
        from alpaca.common.enums import Sort

        fields["sort"] = Sort.DESC
        client = self._client(crypto)
        if crypto:
            from alpaca.data.requests import CryptoBarsRequest

            with translated():
                raw = client.get_crypto_bars(CryptoBarsRequest(start=start, **fields))
        else:
            from alpaca.data.enums import DataFeed
            from alpaca.data.requests import StockBarsRequest

            start -= (end - start + timedelta(seconds=step)) * EQUITY_SLACK_FACTOR + EQUITY_SLACK
            with translated():
                raw = client.get_stock_bars(StockBarsRequest(start=start, feed=DataFeed.IEX, **fields))
        candles = sorted((_candle(bar) for bar in raw.get(native, [])), key=lambda c: c.timestamp)
        return [c for c in candles if c.timestamp.timestamp() <= last][-limit:]

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        """The latest trade now; at a given time, the close of the last minute closed by then."""
        if at is not None:
            found = self.candles(symbol, "1m", 1, at)
            if not found:
                raise NotFound(f"alpaca has no {symbol} trade in the minute before {at}")
            return found[-1].close
        check_request(self.broker, symbol, "1m", 1)
        native = alpaca_symbol(symbol)
        crypto = "/" in native
        client = self._client(crypto)
        if crypto:
            from alpaca.data.requests import CryptoLatestTradeRequest

            with translated():
                raw = client.get_crypto_latest_trade(CryptoLatestTradeRequest(symbol_or_symbols=native))
        else:
            from alpaca.data.enums import DataFeed
            from alpaca.data.requests import StockLatestTradeRequest

            with translated():
                raw = client.get_stock_latest_trade(
                    StockLatestTradeRequest(symbol_or_symbols=native, feed=DataFeed.IEX)
                )
        trade = raw.get(native)
        if not trade or trade.get("p") is None:
            raise NotFound(f"alpaca has no last trade for {symbol}")
        return to_decimal(trade["p"])


def _candle(bar: dict[str, Any]) -> Candle:
    """A bar of Alpaca's API: {"t": RFC 3339 open time, "o", "h", "l", "c", "v", "n", "vw"}."""
    return Candle(
        timestamp=datetime.fromisoformat(str(bar["t"]).replace("Z", "+00:00")).astimezone(UTC),
        open=to_decimal(bar["o"]),
        high=to_decimal(bar["h"]),
        low=to_decimal(bar["l"]),
        close=to_decimal(bar["c"]),
        volume=to_decimal(bar["v"]),
    )
