"""The Broker port for coinbase, kraken and binance, over ccxt (one exchange module each).

`CcxtBroker(name, credentials_for)` gives each user an account (ccxt_account.py, with what differs
per exchange in ccxt_exchange_accounts.py) over an authenticated ccxt client built with the user's
keys (ccxt_client.build_exchange). Accounts are cached per user and keys (a keyed hash of the
credentials: new keys, new client), in a bounded LRU (accounts.AccountCache).

Markets (ids and precision) are read once per process, with ccxt's own fetch_markets, on a
client without keys, and shared by every user's client; currencies are not fetched (nothing here
needs them). binance asks exchangeInfo for our instruments only.

mark_price(symbol) reads the exchange's public ticker: a network call (at most MARK_TIMEOUT_S),
cached MARK_TTL_S seconds per symbol, None when the exchange cannot be read. The executor's
pre-trade check needs it to price market orders; on the API path (positions) it costs one ticker
call per symbol and TTL, and the first call of a process loads the markets too.

Given a throttle (throttle.py), every request of every client here, the keyless one too, takes
its tokens from the broker's shared budgets before it is sent; one held back raises
BrokerThrottled, and a ticker held back is a mark price of None.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers.accounts import MAX_ACCOUNTS, AccountCache, read_credentials
from nija.adapters.brokers.capabilities import CAPABILITIES, BrokerCapabilities
from nija.adapters.brokers.ccxt_account import CcxtAccount
from nija.adapters.brokers.ccxt_client import (
    EXCHANGE_IDS,
    build_public_exchange,
    public_market_params,
    translated,
)
from nija.adapters.brokers.ccxt_exchange_accounts import ACCOUNT_CLASSES
from nija.adapters.brokers.ccxt_parsing import ticker_price
from nija.domain.credentials import BrokerCredentials
from nija.domain.errors import BrokerError
from nija.domain.models import BrokerName

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

    from nija.adapters.brokers.throttle import RequestThrottle

log = logging.getLogger(__name__)

MARK_TTL_S = 5.0
MARK_TIMEOUT_S = 3.0
MAX_MARKS = 256


class CcxtBroker:
    """Broker for coinbase, kraken or binance."""

    def __init__(
        self,
        name: BrokerName,
        credentials_for: Callable[[str], BrokerCredentials],
        *,
        max_accounts: int = MAX_ACCOUNTS,
        mark_ttl_s: float = MARK_TTL_S,
        clock: Callable[[], float] = time.monotonic,
        throttle: RequestThrottle | None = None,
    ) -> None:
        if name not in EXCHANGE_IDS:
            raise ValueError(f"{name} is not a ccxt broker")
        self.name = name
        # Every request of every client here takes its tokens from the broker's shared budgets first.
        self.throttle = throttle
        self.capabilities: BrokerCapabilities = CAPABILITIES[name]
        self._credentials_for = credentials_for
        self._accounts: AccountCache[CcxtAccount] = AccountCache(max_accounts)
        self._mark_ttl_s = mark_ttl_s
        self._clock = clock
        self._marks: dict[str, tuple[float, Decimal]] = {}
        self._public: Exchange | None = None
        self._lock = threading.Lock()
        self._ticker_lock = threading.Lock()

    def account(self, user_id: str) -> CcxtAccount:
        credentials = read_credentials(self._credentials_for, user_id, self.name)
        account_class = ACCOUNT_CLASSES[self.name]
        return self._accounts.get(user_id, credentials, lambda: account_class(self, user_id, credentials))

    def markets(self) -> Exchange:
        """The client without keys, its markets loaded (once per process)."""
        with self._lock:
            if self._public is None:
                public = self._public_client()
                with translated(self.name):
                    markets = public.fetch_markets(self._market_params())
                public.set_markets(markets)
                public.timeout = min(public.timeout, int(MARK_TIMEOUT_S * 1000))  # from now on: tickers
                self._public = public
            return self._public

    def mark_price(self, symbol: str) -> Decimal | None:
        """The last trade price from the public ticker, cached MARK_TTL_S seconds (an answer of None
        too: an exchange that does not answer costs one short timeout per TTL, not one per call)."""
        now = self._clock()
        with self._ticker_lock:
            cached = self._marks.get(symbol)
            if cached and cached[0] > now:
                return cached[1]
            price = self._read_mark(symbol)
            if len(self._marks) >= MAX_MARKS:
                self._marks.clear()
            self._marks[symbol] = (now + self._mark_ttl_s, price)
            return price

    def _read_mark(self, symbol: str) -> Decimal | None:
        try:
            public = self.markets()
            with translated(self.name):
                ticker = public.fetch_ticker(symbol)
        except BrokerError as exc:
            log.warning(
                "no mark price", extra={"broker": self.name.value, "symbol": symbol, "error": exc.code}
            )
            return None
        return ticker_price(ticker)

    def _public_client(self) -> Exchange:
        return build_public_exchange(self.name, gate=self.throttle.gate(None) if self.throttle else None)

    def _market_params(self) -> dict[str, Any]:
        return public_market_params(self.name)
