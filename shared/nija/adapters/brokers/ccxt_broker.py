"""The Broker port for coinbase, kraken and binance, over ccxt (one exchange module each).

`CcxtBroker(name, credentials_for)` gives each user an account over an authenticated ccxt client
built with the user's keys (ccxt_client.build_exchange). Accounts are cached per user and keys
(a keyed hash of the credentials: new keys, new client), in a bounded LRU.

Markets (ids and precision) are read once per process, with ccxt's own fetch_markets, on a
client without keys, and shared by every user's client; currencies are not fetched (nothing here
needs them). binance asks exchangeInfo for our instruments only.

Orders:
- the client order id travels in the exchange's own parameter (capabilities.client_order_id_param):
  coinbase `client_order_id`, binance `newClientOrderId`, kraken `cl_ord_id`. Passing ccxt's
  `clientOrderId` is not enough: ccxt's coinbase drops it and sends a random id of its own.
  Kraken accepts a UUID (long, or 32 hex digits) or free text of at most 18 characters, so it gets
  uuid5(KRAKEN_NAMESPACE, client order id) as 32 hex digits, a stable function of our id.
- quantities and prices go out as exact decimal strings: each is checked against the market's
  precision with ccxt's amount_to_precision/price_to_precision, and refused (InvalidOrder, nothing
  sent) if the exchange would have to round it. The client parses numbers as strings (never floats).
- coinbase: we send the order_configuration ourselves (market_market_ioc / limit_limit_gtc with
  base_size), since ccxt's market buy would spend a quote amount instead of buying our quantity.
- fills are the exchange's own trades, with its trade ids (binance: the placement's fills, else
  myTrades by order id; kraken: the order's trade ids, detailed by QueryTrades; coinbase: the fills
  endpoint by order id). Nothing is synthesized: a fill not yet reported comes on a later look-up.
- a timeout placing an order is UnknownOutcome (translated(..., order_placement=True)); once the
  exchange has taken the order, a failure to read it back returns it as accepted, never an error.

Look-ups by client order id: binance GET /api/v3/order?origClientOrderId= needs the symbol, so
each of our binance instruments is tried (the symbol of an order this account placed first);
kraken OpenOrders then ClosedOrders filtered by cl_ord_id; coinbase has no such filter, so the
newest orders are scanned (COINBASE_SCAN_PAGES pages of 100): an order older than that is not
found.

mark_price(symbol) reads the exchange's public ticker: a network call (at most MARK_TIMEOUT_S),
cached MARK_TTL_S seconds per symbol, None when the exchange cannot be read. The executor's
pre-trade check needs it to price market orders; on the API path (positions) it costs one ticker
call per symbol and TTL, and the first call of a process loads the markets too.

Given a throttle (throttle.py), every request of every client here, the keyless one too, takes
its tokens from the broker's shared budgets before it is sent; one held back raises
BrokerThrottled, and a ticker held back is a mark price of None.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from nija.adapters.brokers import secret_values
from nija.adapters.brokers.capabilities import CAPABILITIES, BrokerCapabilities
from nija.adapters.brokers.ccxt_client import (
    EXCHANGE_IDS,
    build_exchange,
    build_public_exchange,
    fetch_balances,
    public_market_params,
    translated,
)
from nija.domain.credentials import BrokerCredentials
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerTemporaryError,
    InvalidOrder,
    NotFound,
    OrderNotFound,
    ServiceUnavailable,
)
from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName, Fill, OrderType
from nija.domain.money import ZERO, fmt, to_decimal
from nija.domain.orders import OrderStatus
from nija.ports.broker import Balance, BrokerOrder, BrokerOrderRequest

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

    from nija.adapters.brokers.throttle import RequestThrottle

log = logging.getLogger(__name__)

MAX_ACCOUNTS = 128
MARK_TTL_S = 5.0
MARK_TIMEOUT_S = 3.0
MAX_MARKS = 256
COINBASE_SCAN_PAGES = 3
KRAKEN_NAMESPACE = uuid.UUID("6f0c4d2e-5a1b-4c8e-9b3f-2d7e1a9c0b51")

A = TypeVar("A")


# ---------------------------------------------------------------------------------------------
# Shared by both adapters: one account object per user and keys, in a bounded LRU.


class AccountCache(Generic[A]):
    """Accounts by (user, keys). The keys' fingerprint is an HMAC under a key that lives only in
    this process's memory: it identifies a key version without being a verifier of the secret."""

    _key = os.urandom(32)

    def __init__(self, max_entries: int = MAX_ACCOUNTS) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, str], A] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def fingerprint(cls, credentials: BrokerCredentials) -> str:
        fields = json.dumps(credentials.secret_fields(), sort_keys=True, default=str).encode()
        return hmac.new(cls._key, fields, hashlib.sha256).hexdigest()

    def get(self, user_id: str, credentials: BrokerCredentials, build: Callable[[], A]) -> A:
        key = (user_id, self.fingerprint(credentials))
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = build()  # outside the lock: building a client may import its library
        with self._lock:
            for stale in [k for k in self._items if k[0] == user_id and k != key]:
                del self._items[stale]  # the user's previous keys
            built = self._items.setdefault(key, built)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return built

    def __len__(self) -> int:
        return len(self._items)


def read_credentials(
    credentials_for: Callable[[str], BrokerCredentials], user_id: str, broker: BrokerName
) -> BrokerCredentials:
    """The user's keys for the broker, with the vault's refusals as broker errors: no keys is
    BrokerAuthFailed (code broker_not_connected), a vault that did not answer is temporary."""
    if not user_id:
        raise InvalidOrder(f"a {broker.value} account needs a user id")
    try:
        credentials = credentials_for(user_id)
    except NotFound:
        raise BrokerAuthFailed(
            f"no {broker.value} account is connected for this user", code="broker_not_connected"
        ) from None
    except ServiceUnavailable as exc:
        raise BrokerTemporaryError(f"the {broker.value} keys could not be read: {exc.message}") from None
    if credentials.broker is not broker:
        raise BrokerAuthFailed(f"the stored keys are for {credentials.broker.value}, not {broker.value}")
    return credentials


def status_of(unified: str | None, filled: Decimal, amount: Decimal | None) -> OrderStatus:
    """ccxt's unified order status (open, closed, canceled, expired, rejected) as ours."""
    if unified == "closed":
        if amount is not None and filled < amount:
            return OrderStatus.EXPIRED  # closed with a remainder: an IOC that did not fill in full
        return OrderStatus.FILLED
    if unified == "canceled":
        return OrderStatus.CANCELED
    if unified == "expired":
        return OrderStatus.EXPIRED
    if unified == "rejected":
        return OrderStatus.REJECTED
    # open, or a transitional state ccxt passes through (pending, canceling): still working
    return OrderStatus.PARTIALLY_FILLED if filled > ZERO else OrderStatus.ACCEPTED


def _dec(value: object) -> Decimal:
    return ZERO if value is None or value == "" else to_decimal(value)


def _timestamp(ms: object) -> datetime:
    if isinstance(ms, int | float) and ms > 0:
        return datetime.fromtimestamp(ms / 1000, UTC)
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------


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
        last = ticker.get("last") or ticker.get("close")
        if last is not None:
            return _dec(last)
        if ticker.get("bid") and ticker.get("ask"):
            return (_dec(ticker["bid"]) + _dec(ticker["ask"])) / 2
        return None

    def _public_client(self) -> Exchange:
        return build_public_exchange(self.name, gate=self.throttle.gate(None) if self.throttle else None)

    def _market_params(self) -> dict[str, Any]:
        return public_market_params(self.name)


class CcxtAccount:
    """One user's account at a ccxt exchange (the BrokerAccount port). Exchange-specific steps are
    the subclasses' `_create`, `_find`, `_fetch`, `_cancel` and `_trades`."""

    def __init__(self, owner: CcxtBroker, user_id: str, credentials: BrokerCredentials) -> None:
        self.broker = owner.name
        self.user_id = user_id
        self._owner = owner
        self._secrets = secret_values(credentials)
        gate = owner.throttle.gate(user_id) if owner.throttle else None
        self._exchange = build_exchange(credentials, gate=gate)  # type: ignore[arg-type]
        self._exchange.number = str  # ccxt parses amounts and prices with this: strings, never floats
        self._has_markets = False
        self._lock = threading.RLock()

    # -- the port ------------------------------------------------------------------------------

    def place_order(self, request: BrokerOrderRequest) -> BrokerOrder:
        with self._lock:
            exchange = self._ready()
            with self._translated():
                amount, price = self._numbers(exchange, request)
            self._remember(request.client_order_id, request.symbol)  # a look-up after a timeout uses it
            with self._translated(placing=True):
                created = self._create(exchange, request, amount, price)
            try:
                with self._translated():
                    if created.get("status") is None:
                        created = self._fetch(exchange, str(created["id"]), request.symbol)
                    return self._order(exchange, created, request.client_order_id, request.symbol)
            except BrokerError as exc:  # the exchange has the order: report it taken, sync reads it later
                log.warning(
                    "placed; could not read the order back",
                    extra={"broker": self.broker.value, "user_id": self.user_id, "error": exc.code},
                )
                return BrokerOrder(
                    broker_order_id=str(created["id"]),
                    client_order_id=request.client_order_id,
                    symbol=request.symbol,
                    status=OrderStatus.ACCEPTED,
                )

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        with self._lock:
            exchange = self._ready()
            with self._translated():
                found = self._find(exchange, client_order_id)
                if found is None:
                    return None
                return self._order(exchange, found, client_order_id)

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        """Cancel a working order. An order that already ended is returned as it is."""
        from ccxt.base.errors import BadRequest, OperationRejected
        from ccxt.base.errors import InvalidOrder as CcxtInvalidOrder

        with self._lock:
            exchange = self._ready()
            with self._translated():
                found = self._find(exchange, client_order_id)
                if found is None:
                    raise OrderNotFound(f"{self.broker.value} has no order {client_order_id}")
                if self._status(found).is_terminal:
                    return self._order(exchange, found, client_order_id)
                try:
                    canceled = self._cancel(exchange, found, client_order_id)
                except (CcxtInvalidOrder, BadRequest, OperationRejected):  # it may have ended meanwhile
                    canceled = self._fetch(exchange, str(found["id"]), found.get("symbol"))
                    if not self._status(canceled).is_terminal:
                        raise
                if canceled is None or canceled.get("status") is None:
                    canceled = self._fetch(exchange, str(found["id"]), found.get("symbol"))
                return self._order(exchange, canceled, client_order_id)

    def balances(self) -> dict[str, Balance]:
        with self._lock, self._translated():
            return fetch_balances(self._exchange)

    # -- shared steps ----------------------------------------------------------------------------

    @contextmanager
    def _translated(self, *, placing: bool = False) -> Iterator[None]:
        with translated(self.broker, order_placement=placing, secrets=self._secrets):
            yield

    def _ready(self) -> Exchange:
        if not self._has_markets:
            self._exchange.set_markets_from_exchange(self._owner.markets())
            self._has_markets = True
        return self._exchange

    def _numbers(self, exchange: Exchange, request: BrokerOrderRequest) -> tuple[str, str | None]:
        """Quantity and limit price as the exact strings the exchange accepts; InvalidOrder (no
        request made) when the exchange's precision would round either."""
        exchange.market(request.symbol)  # BadSymbol: not a market of this exchange
        amount = self._exact(
            exchange.amount_to_precision(request.symbol, fmt(request.quantity)), request, "quantity"
        )
        price = None
        if request.type is OrderType.LIMIT:
            if request.limit_price is None:
                raise InvalidOrder("a limit order needs a limit price")
            price = self._exact(
                exchange.price_to_precision(request.symbol, fmt(request.limit_price)), request, "limit price"
            )
        return amount, price

    def _exact(self, text: str, request: BrokerOrderRequest, what: str) -> str:
        wanted = request.quantity if what == "quantity" else request.limit_price
        if to_decimal(text) != wanted:
            raise InvalidOrder(
                f"{self.broker.value} cannot take a {what} of {fmt(wanted or ZERO)} for {request.symbol} "
                f"(it would become {text})"
            )
        return fmt(to_decimal(text))

    def _status(self, raw: dict[str, Any]) -> OrderStatus:
        amount = raw.get("amount")
        return status_of(raw.get("status"), _dec(raw.get("filled")), _dec(amount) if amount else None)

    def _order(
        self, exchange: Exchange, raw: dict[str, Any], client_order_id: str, symbol: str | None = None
    ) -> BrokerOrder:
        status = self._status(raw)
        fills = self._fills(exchange, raw) if _dec(raw.get("filled")) > ZERO else ()
        return BrokerOrder(
            broker_order_id=str(raw["id"]),
            client_order_id=client_order_id,
            symbol=raw.get("symbol") or symbol or "",
            status=status,
            filled_quantity=_dec(raw.get("filled")),
            fills=fills,
            reason=self._reason(raw) if status is OrderStatus.REJECTED else None,
        )

    def _fills(self, exchange: Exchange, raw: dict[str, Any]) -> tuple[Fill, ...]:
        """The order's executions with the exchange's trade ids: from the order when it carries
        them all, else fetched for the order."""
        trades = [t for t in raw.get("trades") or [] if t.get("id") and t.get("amount") and t.get("price")]
        if sum((_dec(t["amount"]) for t in trades), ZERO) < _dec(raw.get("filled")):
            trades = self._trades(exchange, raw)
        quote = (raw.get("symbol") or "/").split("/")[-1] or "USD"
        fills: dict[str, Fill] = {}
        for trade in trades:
            order_id = trade.get("order")
            if order_id is not None and str(order_id) != str(raw["id"]):
                continue
            fee = trade.get("fee") or {}
            fills.setdefault(
                str(trade["id"]),
                Fill(
                    trade_id=str(trade["id"]),
                    quantity=_dec(trade["amount"]),
                    price=_dec(trade["price"]),
                    fee=_dec(fee.get("cost")),
                    fee_currency=fee.get("currency") or quote,
                    timestamp=_timestamp(trade.get("timestamp") or raw.get("timestamp")),
                ),
            )
        return tuple(sorted(fills.values(), key=lambda f: (f.timestamp, f.trade_id)))

    def _reason(self, raw: dict[str, Any]) -> str | None:
        return None

    def _remember(self, client_order_id: str, symbol: str) -> None:
        """Hook: what a look-up by client order id may use later (binance: the symbol)."""

    # -- per exchange ----------------------------------------------------------------------------

    def exchange_client_order_id(self, client_order_id: str) -> str:
        return client_order_id

    def _create(
        self, exchange: Exchange, request: BrokerOrderRequest, amount: str, price: str | None
    ) -> dict[str, Any]:
        params = {
            str(self._owner.capabilities.client_order_id_param): self.exchange_client_order_id(
                request.client_order_id
            )
        }
        return exchange.create_order(  # type: ignore[no-any-return]
            request.symbol, request.type.value, request.side.value, amount, price, params
        )

    def _find(self, exchange: Exchange, client_order_id: str) -> dict[str, Any] | None:
        raise NotImplementedError

    def _fetch(self, exchange: Exchange, order_id: str, symbol: str | None) -> dict[str, Any]:
        return exchange.fetch_order(order_id, symbol)  # type: ignore[no-any-return]

    def _cancel(
        self, exchange: Exchange, found: dict[str, Any], client_order_id: str
    ) -> dict[str, Any] | None:
        raise NotImplementedError

    def _trades(self, exchange: Exchange, raw: dict[str, Any]) -> list[dict[str, Any]]:
        raise NotImplementedError


class BinanceAccount(CcxtAccount):
    """newClientOrderId on POST /api/v3/order (newOrderRespType=FULL: the fills come back);
    look-ups and cancels by origClientOrderId, per symbol."""

    MAX_HINTS = 512

    def __init__(self, owner: CcxtBroker, user_id: str, credentials: BrokerCredentials) -> None:
        super().__init__(owner, user_id, credentials)
        self._hints: OrderedDict[str, str] = OrderedDict()

    def _remember(self, client_order_id: str, symbol: str) -> None:
        self._hints[client_order_id] = symbol
        self._hints.move_to_end(client_order_id)
        while len(self._hints) > self.MAX_HINTS:
            self._hints.popitem(last=False)

    def _symbols(self, exchange: Exchange, client_order_id: str) -> Iterable[str]:
        hint = self._hints.get(client_order_id)
        ours = [s for s in INSTRUMENTS[self.broker] if exchange.markets and s in exchange.markets]
        return [hint, *(s for s in ours if s != hint)] if hint else ours

    def _find(self, exchange: Exchange, client_order_id: str) -> dict[str, Any] | None:
        from ccxt.base.errors import OrderNotFound as CcxtOrderNotFound

        for symbol in self._symbols(exchange, client_order_id):
            try:
                found: dict[str, Any] = exchange.fetch_order(
                    None, symbol, {"origClientOrderId": client_order_id}
                )
            except CcxtOrderNotFound:
                continue
            self._remember(client_order_id, symbol)
            return found
        return None

    def _cancel(
        self, exchange: Exchange, found: dict[str, Any], client_order_id: str
    ) -> dict[str, Any] | None:
        return exchange.cancel_order(  # type: ignore[no-any-return]
            None, found["symbol"], {"origClientOrderId": client_order_id}
        )

    def _trades(self, exchange: Exchange, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return exchange.fetch_order_trades(str(raw["id"]), raw["symbol"])  # type: ignore[no-any-return]


_KRAKEN_UUID = re.compile(r"^([0-9a-fA-F]{32}|[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})$")
_KRAKEN_TEXT = re.compile(r"^[\x21-\x7e]{1,18}$")


def kraken_client_order_id(client_order_id: str) -> str:
    """Kraken's cl_ord_id for our client order id: as it is when Kraken accepts it (a UUID, 32 hex
    digits, or up to 18 characters of text), else a UUID5 of it as 32 hex digits."""
    if _KRAKEN_UUID.match(client_order_id) or _KRAKEN_TEXT.match(client_order_id):
        return client_order_id
    return uuid.uuid5(KRAKEN_NAMESPACE, client_order_id).hex


class KrakenAccount(CcxtAccount):
    """cl_ord_id on AddOrder; OpenOrders then ClosedOrders by cl_ord_id with trades=true; the
    trades' details from QueryTrades; CancelOrder by cl_ord_id; re-read by txid (QueryOrders)."""

    def exchange_client_order_id(self, client_order_id: str) -> str:
        return kraken_client_order_id(client_order_id)

    def _find(self, exchange: Exchange, client_order_id: str) -> dict[str, Any] | None:
        wanted = self.exchange_client_order_id(client_order_id)
        params = {"clientOrderId": wanted, "trades": "true"}
        for fetch in (exchange.fetch_open_orders, exchange.fetch_closed_orders):
            for order in fetch(None, None, None, dict(params)):
                if order.get("clientOrderId") == wanted:
                    return order  # type: ignore[no-any-return]
        return None

    def _fetch(self, exchange: Exchange, order_id: str, symbol: str | None) -> dict[str, Any]:
        return exchange.fetch_order(order_id, symbol, {"trades": "true"})  # type: ignore[no-any-return]

    def _cancel(
        self, exchange: Exchange, found: dict[str, Any], client_order_id: str
    ) -> dict[str, Any] | None:
        exchange.cancel_order(
            str(found["id"]), None, {"cl_ord_id": self.exchange_client_order_id(client_order_id)}
        )
        return None

    def _trades(self, exchange: Exchange, raw: dict[str, Any]) -> list[dict[str, Any]]:
        ids = [str(t["id"]) for t in raw.get("trades") or [] if t.get("id")]
        if not ids:
            return []
        return exchange.fetch_order_trades(str(raw["id"]), None, None, None, {"trades": ids})  # type: ignore[no-any-return]


class CoinbaseAccount(CcxtAccount):
    """Advanced Trade: client_order_id and our own order_configuration (base_size) on POST
    /api/v3/brokerage/orders; look-ups scan the newest orders (no client id filter exists);
    batch_cancel by order id; fills by order id."""

    PAGE = 100

    def __init__(self, owner: CcxtBroker, user_id: str, credentials: BrokerCredentials) -> None:
        super().__init__(owner, user_id, credentials)
        self._exchange.enableLastJsonResponse = True  # to tell the exchange's own refusals (below)

    def _create(
        self, exchange: Exchange, request: BrokerOrderRequest, amount: str, price: str | None
    ) -> dict[str, Any]:
        from ccxt.base.errors import ExchangeError
        from ccxt.base.errors import InvalidOrder as CcxtInvalidOrder

        if request.type is OrderType.MARKET:
            configuration = {"market_market_ioc": {"base_size": amount}}
        else:
            configuration = {
                "limit_limit_gtc": {"base_size": amount, "limit_price": price, "post_only": False}
            }
        params: dict[str, Any] = {
            "client_order_id": request.client_order_id,
            "order_configuration": configuration,
        }
        if request.type is OrderType.MARKET:  # ccxt would price a market buy's quote_size; ours replaces it
            params["createMarketBuyOrderRequiresPrice"] = False
        try:
            return exchange.create_order(  # type: ignore[no-any-return]
                request.symbol, request.type.value, request.side.value, amount, price, params
            )
        except ExchangeError as exc:
            # {"success": false, "error_response": {...}} with a reason ccxt has no class for:
            # the exchange refused the order itself (a 5xx or a timeout is not this).
            answer = exchange.last_json_response
            if type(exc) is ExchangeError and isinstance(answer, dict) and answer.get("success") is False:
                raise CcxtInvalidOrder(str(exc)) from exc
            raise

    def _status(self, raw: dict[str, Any]) -> OrderStatus:
        native = (raw.get("info") or {}).get("status")
        if native == "EXPIRED":  # ccxt folds EXPIRED and FAILED into canceled
            return OrderStatus.EXPIRED
        if native == "FAILED":
            return OrderStatus.REJECTED
        return super()._status(raw)

    def _reason(self, raw: dict[str, Any]) -> str | None:
        info = raw.get("info") or {}
        return info.get("reject_message") or info.get("reject_reason") or None

    def _find(self, exchange: Exchange, client_order_id: str) -> dict[str, Any] | None:
        cursor = None
        for _ in range(COINBASE_SCAN_PAGES):
            params: dict[str, Any] = {"limit": self.PAGE}
            if cursor:
                params["cursor"] = cursor
            page = exchange.v3PrivateGetBrokerageOrdersHistoricalBatch(params)
            for raw in page.get("orders") or []:
                if raw.get("client_order_id") == client_order_id:
                    return exchange.parse_order(raw)  # type: ignore[no-any-return]
            cursor = page.get("cursor")
            if not page.get("has_next") or not cursor:
                return None
        return None

    def _cancel(
        self, exchange: Exchange, found: dict[str, Any], client_order_id: str
    ) -> dict[str, Any] | None:
        exchange.cancel_order(str(found["id"]))
        return None

    def _trades(self, exchange: Exchange, raw: dict[str, Any]) -> list[dict[str, Any]]:
        return exchange.fetch_my_trades(raw.get("symbol"), None, None, {"order_ids": str(raw["id"])})  # type: ignore[no-any-return]


ACCOUNT_CLASSES: dict[BrokerName, type[CcxtAccount]] = {
    BrokerName.BINANCE: BinanceAccount,
    BrokerName.KRAKEN: KrakenAccount,
    BrokerName.COINBASE: CoinbaseAccount,
}
