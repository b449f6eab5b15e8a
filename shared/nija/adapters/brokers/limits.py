"""Each broker's published request limits as token buckets (nija.domain.throttle), and what one
HTTP request costs in each. Two scopes: the user's account there (the exchanges limit per API key or
account) and the broker as a whole (limits per IP: every function instance leaves through the same
NAT addresses). A cost of 0 in a scope, or no limit there, means that bucket is not touched.

The figures are the exchanges' documented limits as of 2025, checked against their pages where we
could (sources beside each), and held below them on purpose: the same key may be used elsewhere,
instance clocks differ a little, and an exchange that bans a key or an IP costs far more than a
request that waits or comes back later. `BucketLimit.within(n, s, burst=b)` lets at most n through
in any s seconds (b at once), so a fixed or sliding window of s seconds holds too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from nija.domain.models import BrokerName
from nija.domain.throttle import BucketLimit


@dataclass(frozen=True, slots=True)
class RequestCost:
    account: float = 0.0  # tokens from the user's account bucket
    broker: float = 0.0  # tokens from the broker-wide (per IP) bucket


@dataclass(frozen=True)
class BrokerLimits:
    broker: BrokerName
    per_account: BucketLimit | None
    per_broker: BucketLimit | None
    price: Callable[[str, str, str], RequestCost]  # (method, path, query) -> cost

    def cost(self, method: str, url: str) -> RequestCost:
        parts = urlsplit(url)
        return self.price(method.upper(), parts.path, parts.query)


# Coinbase Advanced Trade REST (docs.cdp.coinbase.com/advanced-trade/docs/rest-api-rate-limits,
# as summarised from it; the page itself was not retrievable here): private endpoints 30 requests a
# second per user (key), public endpoints 10 a second per IP. We allow 24 and 8.
def _coinbase(method: str, path: str, query: str) -> RequestCost:
    if path.startswith("/api/v3/brokerage/market/") or path.startswith("/v2/"):
        return RequestCost(broker=1)
    return RequestCost(account=1)


# Kraken Spot REST (docs.kraken.com/api/docs/guides/spot-rest-ratelimits): a call counter per API
# key, +1 a call, +2 for ledger and trade history; at most 15 and decaying 0.33 a second on the
# Starter tier (20 and 0.5 or 1 above it: we assume Starter). AddOrder and CancelOrder do not count:
# the matching engine limits them per pair (60, decaying 1 a second on Starter), far above what one
# user's FIFO queue sends. Public endpoints (support.kraken.com, "What are the API rate limits"): one
# call a second per IP stays within the limit.
_KRAKEN_TRADING = frozenset({"AddOrder", "AddOrderBatch", "EditOrder", "CancelOrder", "CancelOrderBatch"})
_KRAKEN_HISTORY = frozenset({"QueryTrades", "TradesHistory", "Ledgers", "QueryLedgers"})


def _kraken(method: str, path: str, query: str) -> RequestCost:
    if path.startswith("/0/public/"):
        return RequestCost(broker=1)
    name = path.rsplit("/", 1)[-1]
    if name in _KRAKEN_TRADING:
        return RequestCost()
    return RequestCost(account=2 if name in _KRAKEN_HISTORY else 1)


# Binance Spot (developers.binance.com/docs/binance-spot-api-docs/rest-api/limits and exchangeInfo's
# rateLimits): REQUEST_WEIGHT 6,000 a minute per IP; ORDERS 50 per 10 s and 160,000 a day per
# account (POST /api/v3/order counts 1). Weights from the endpoint pages; an endpoint not listed
# counts 20 (the heaviest single-symbol call we make). /sapi has its own per-IP budget (12,000 a
# minute per endpoint): counting its calls here as well only errs on the safe side.
_BINANCE_WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/api/v3/exchangeInfo"): 20,
    ("GET", "/api/v3/account"): 20,
    ("GET", "/api/v3/myTrades"): 20,
    ("GET", "/api/v3/allOrders"): 20,
    ("GET", "/api/v3/order"): 4,
    ("GET", "/api/v3/klines"): 2,
    ("POST", "/api/v3/order"): 1,
    ("DELETE", "/api/v3/order"): 1,
    ("GET", "/sapi/v1/account/apiRestrictions"): 1,
}
_BINANCE_BY_SYMBOL: dict[tuple[str, str], tuple[int, int]] = {  # (one symbol, every symbol)
    ("GET", "/api/v3/ticker/24hr"): (2, 80),
    ("GET", "/api/v3/openOrders"): (6, 80),
}


def _binance(method: str, path: str, query: str) -> RequestCost:
    order = 1 if (method, path) == ("POST", "/api/v3/order") else 0
    by_symbol = _BINANCE_BY_SYMBOL.get((method, path))
    if by_symbol is not None:
        weight = by_symbol[0] if "symbol=" in query else by_symbol[1]
    else:
        weight = _BINANCE_WEIGHTS.get((method, path), 20)
    return RequestCost(account=order, broker=weight)


# Alpaca Trading API (alpaca.markets/support/usage-limit-api-calls): 200 requests a minute per
# account, paper and live alike. No per-IP limit is published for trading. Market data
# (data.alpaca.markets: /v1beta3/crypto, /v2/stocks) is read by the platform, not by an account:
# the free data plan allows 200 requests a minute per key, and keyless crypto data is limited per
# IP; both count in the broker-wide bucket.
_ALPACA_DATA = ("/v1beta3/crypto/", "/v2/stocks/")


def _alpaca(method: str, path: str, query: str) -> RequestCost:
    if path.startswith(_ALPACA_DATA):
        return RequestCost(broker=1)
    return RequestCost(account=1)


LIMITS: dict[BrokerName, BrokerLimits] = {
    BrokerName.COINBASE: BrokerLimits(
        broker=BrokerName.COINBASE,
        per_account=BucketLimit.within(24, 1.0, burst=8),  # 16 a second, 8 at once
        per_broker=BucketLimit.within(8, 1.0, burst=3),  # 5 a second, 3 at once
        price=_coinbase,
    ),
    BrokerName.KRAKEN: BrokerLimits(
        broker=BrokerName.KRAKEN,
        per_account=BucketLimit(capacity=12, rate=0.33),  # Kraken's own counter, with 3 to spare
        per_broker=BucketLimit(capacity=1, rate=1.0),
        price=_kraken,
    ),
    BrokerName.BINANCE: BrokerLimits(
        broker=BrokerName.BINANCE,
        # 1.5 a second: 40 in any 10 s, and under 130,000 a day
        per_account=BucketLimit.within(40, 10.0, burst=25),
        per_broker=BucketLimit.within(4800, 60.0, burst=600),  # weight: 70 a second, 600 at once
        price=_binance,
    ),
    BrokerName.ALPACA: BrokerLimits(
        broker=BrokerName.ALPACA,
        per_account=BucketLimit.within(160, 60.0, burst=20),  # 2.33 a second, 20 at once
        per_broker=BucketLimit.within(160, 60.0, burst=20),  # market data only
        price=_alpaca,
    ),
    # The paper broker sends no HTTP requests: no limits, no buckets.
}


def limits(broker: BrokerName) -> BrokerLimits | None:
    return LIMITS.get(broker)
