"""The Broker port for Alpaca, over alpaca-py's TradingClient (paper or live, as the keys say).

- Orders go out as POST /v2/orders through the client's own `post` with `client_order_id` and the
  quantity and limit price as exact decimal strings: alpaca-py's OrderRequest types qty and
  limit_price as float. Equities (AAPL/USD is sent as AAPL) are day orders, as Alpaca requires of
  fractional quantities; crypto (BTC/USD) orders are good till canceled.
- Look-ups: GET /v2/orders:by_client_order_id (get_order_by_client_id); a 404 is "no such order".
- Cancel: the order is found by client order id, then DELETE /v2/orders/{id} and read back.
- Fills: an Alpaca order reports only its cumulative filled_qty and filled_avg_price, so the
  executions come from the account's FILL activities after the order's submission (at most
  ACTIVITY_PAGES pages of 100), matched by order_id; each activity id is the trade id. Fees are
  not attributed to fills (equities trade commission-free; crypto fees are CFEE activities).
- mark_price is None: Alpaca's market data needs a user's keys, and a price for the API's
  position views is not worth a market-data call per position. The pre-trade check prices market
  orders with mark_price, so it refuses Alpaca market orders (no_price) until a data source is wired.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers import RequestGate, secret_values
from nija.adapters.brokers.accounts import MAX_ACCOUNTS, AccountCache, read_credentials
from nija.adapters.brokers.alpaca_client import build_trading_client, fetch_balances, translated
from nija.adapters.brokers.capabilities import CAPABILITIES, BrokerCapabilities
from nija.domain.credentials import AlpacaCredentials, BrokerCredentials
from nija.domain.errors import BrokerAuthFailed, BrokerError, InvalidOrder, OrderNotFound, UnknownOutcome
from nija.domain.models import BrokerName, Fill, OrderType
from nija.domain.money import ZERO, fmt, to_decimal
from nija.domain.orders import OrderStatus
from nija.ports.broker import Balance, BrokerOrder, BrokerOrderRequest

if TYPE_CHECKING:
    from alpaca.trading.client import TradingClient

    from nija.adapters.brokers.throttle import RequestThrottle

log = logging.getLogger(__name__)

ACTIVITY_PAGES = 5
PAGE_SIZE = 100
# Bases Alpaca trades as crypto pairs (sent as BASE/USD); any other symbol is an equity.
CRYPTO_BASES = frozenset({"BTC", "ETH", "SOL", "DOGE", "LTC", "BCH", "AVAX", "LINK", "UNI", "AAVE", "DOT"})

_STATUS: dict[str, OrderStatus] = {
    "filled": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "expired": OrderStatus.EXPIRED,
    "rejected": OrderStatus.REJECTED,
    "replaced": OrderStatus.CANCELED,  # a replaced order is done; its replacement is another order
}


def alpaca_symbol(symbol: str) -> str:
    base, _, quote = symbol.partition("/")
    return symbol if base in CRYPTO_BASES else base if quote == "USD" else symbol


def our_symbol(symbol: str) -> str:
    return symbol if "/" in symbol else f"{symbol}/USD"


def status_of(native: str | None, filled: Decimal) -> OrderStatus:
    """Alpaca's order status as ours: new, accepted, pending_*, held, done_for_day... are working."""
    found = _STATUS.get(native or "")
    if found is not None:
        return found
    return OrderStatus.PARTIALLY_FILLED if filled > ZERO else OrderStatus.ACCEPTED


def _dec(value: object) -> Decimal:
    return ZERO if value is None or value == "" else to_decimal(value)


def _when(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None


class AlpacaBroker:
    """Broker for BrokerName.ALPACA."""

    name = BrokerName.ALPACA

    def __init__(
        self,
        credentials_for: Callable[[str], BrokerCredentials],
        *,
        max_accounts: int = MAX_ACCOUNTS,
        throttle: RequestThrottle | None = None,
    ) -> None:
        self.capabilities: BrokerCapabilities = CAPABILITIES[self.name]
        self._credentials_for = credentials_for
        self.throttle = throttle  # every request takes its tokens from the shared budgets first
        self._accounts: AccountCache[AlpacaAccount] = AccountCache(max_accounts)

    def account(self, user_id: str) -> AlpacaAccount:
        credentials = read_credentials(self._credentials_for, user_id, self.name)
        if not isinstance(credentials, AlpacaCredentials):  # read_credentials checked the broker
            raise BrokerAuthFailed("the stored keys are not Alpaca keys")
        gate = self.throttle.gate(user_id) if self.throttle else None
        return self._accounts.get(user_id, credentials, lambda: AlpacaAccount(user_id, credentials, gate))

    def mark_price(self, symbol: str) -> Decimal | None:
        return None


class AlpacaAccount:
    """One user's Alpaca account (the BrokerAccount port)."""

    broker = BrokerName.ALPACA

    def __init__(self, user_id: str, credentials: AlpacaCredentials, gate: RequestGate | None = None) -> None:
        self.user_id = user_id
        self._secrets = secret_values(credentials)
        self._client: TradingClient = build_trading_client(credentials, gate=gate)
        self._lock = threading.RLock()

    @contextmanager
    def _translated(self, *, placing: bool = False) -> Iterator[None]:
        with translated(order_placement=placing, secrets=self._secrets):
            yield

    def place_order(self, request: BrokerOrderRequest) -> BrokerOrder:
        symbol = alpaca_symbol(request.symbol)
        crypto = "/" in symbol
        payload: dict[str, Any] = {
            "symbol": symbol,
            "qty": fmt(request.quantity),
            "side": request.side.value,
            "type": request.type.value,
            "time_in_force": "gtc" if crypto else "day",
            "client_order_id": request.client_order_id,
        }
        if request.type is OrderType.LIMIT:
            if request.limit_price is None:
                raise InvalidOrder("a limit order needs a limit price")
            payload["limit_price"] = fmt(request.limit_price)
        with self._lock:
            with self._translated(placing=True):
                raw = self._client.post("/orders", payload)
            if not isinstance(raw, dict):  # a 2xx without the order: look it up before any retry
                raise UnknownOutcome("alpaca answered the order without the order")
            try:
                with self._translated():
                    return self._order(raw, request.client_order_id, request.symbol)
            except BrokerError as exc:  # Alpaca has the order; its fills come with a later look-up
                log.warning("placed; fills not read", extra={"user_id": self.user_id, "error": exc.code})
                return self._order(raw, request.client_order_id, request.symbol, with_fills=False)

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        with self._lock:
            try:
                with self._translated():
                    found = self._find(client_order_id)
            except OrderNotFound:
                return None
            with self._translated():
                return self._order(found, client_order_id)

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        """Cancel a working order. An order that already ended is returned as it is."""
        with self._lock:
            with self._translated():
                found = self._find(client_order_id)  # OrderNotFound when Alpaca has none
                if status_of(found.get("status"), _dec(found.get("filled_qty"))).is_terminal:
                    return self._order(found, client_order_id)
            order_id = str(found["id"])
            try:
                with self._translated():
                    self._client.cancel_order_by_id(order_id)
            except InvalidOrder:  # 422 not cancelable: it ended meanwhile
                with self._translated():
                    ended = self._read(self._client.get_order_by_id(order_id))
                if not status_of(ended.get("status"), _dec(ended.get("filled_qty"))).is_terminal:
                    raise
                return self._order(ended, client_order_id)
            with self._translated():
                return self._order(self._read(self._client.get_order_by_id(order_id)), client_order_id)

    def balances(self) -> dict[str, Balance]:
        with self._lock, self._translated():
            return fetch_balances(self._client)

    # -- helpers -----------------------------------------------------------------------------------

    def _find(self, client_order_id: str) -> dict[str, Any]:
        return self._read(self._client.get_order_by_client_id(client_order_id))

    @staticmethod
    def _read(order: Any) -> dict[str, Any]:
        """alpaca-py's Order model (or its raw dict) as a JSON-like dict."""
        if isinstance(order, dict):
            return order
        dumped: dict[str, Any] = order.model_dump(mode="json")
        return dumped

    def _order(
        self, raw: dict[str, Any], client_order_id: str, symbol: str | None = None, *, with_fills: bool = True
    ) -> BrokerOrder:
        filled = _dec(raw.get("filled_qty"))
        status = status_of(raw.get("status"), filled)
        return BrokerOrder(
            broker_order_id=str(raw["id"]),
            client_order_id=client_order_id,
            symbol=symbol or our_symbol(str(raw.get("symbol") or "")),
            status=status,
            filled_quantity=filled,
            fills=self._fills(raw) if with_fills and filled > ZERO else (),
        )

    def _fills(self, raw: dict[str, Any]) -> tuple[Fill, ...]:
        """The order's FILL activities: each execution with its activity id as the trade id."""
        order_id = str(raw["id"])
        submitted = _when(raw.get("submitted_at") or raw.get("created_at")) or datetime.now(UTC)
        params: dict[str, Any] = {
            "after": (submitted - timedelta(seconds=1)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "direction": "asc",
            "page_size": PAGE_SIZE,
        }
        fills: dict[str, Fill] = {}
        wanted = _dec(raw.get("filled_qty"))
        for _ in range(ACTIVITY_PAGES):
            page = self._client.get("/account/activities/FILL", params)
            activities = page if isinstance(page, list) else []
            for activity in activities:
                if str(activity.get("order_id")) != order_id or not activity.get("id"):
                    continue
                fills.setdefault(
                    str(activity["id"]),
                    Fill(
                        trade_id=str(activity["id"]),
                        quantity=_dec(activity.get("qty")),
                        price=_dec(activity.get("price")),
                        fee_currency="USD",
                        timestamp=_when(activity.get("transaction_time")) or datetime.now(UTC),
                    ),
                )
            if len(activities) < PAGE_SIZE or sum((f.quantity for f in fills.values()), ZERO) >= wanted:
                break
            params["page_token"] = activities[-1]["id"]
        return tuple(sorted(fills.values(), key=lambda f: (f.timestamp, f.trade_id)))
