"""What differs per exchange in a ccxt account (ccxt_account.py): placing, looking up by client
order id, cancelling and reading an order's trades at binance, kraken and coinbase.

- kraken accepts a client order id that is a UUID (long, or 32 hex digits) or free text of at most
  18 characters, so any other id gets uuid5(KRAKEN_NAMESPACE, client order id) as 32 hex digits, a
  stable function of our id.
- coinbase: we send the order_configuration ourselves (market_market_ioc / limit_limit_gtc with
  base_size), since ccxt's market buy would spend a quote amount instead of buying our quantity.
- fills: binance: the placement's fills, else myTrades by order id; kraken: the order's trade ids,
  detailed by QueryTrades; coinbase: the fills endpoint by order id.

Look-ups by client order id: binance GET /api/v3/order?origClientOrderId= needs the symbol, so
each of our binance instruments is tried (the symbol of an order this account placed first);
kraken OpenOrders then ClosedOrders filtered by cl_ord_id; coinbase has no such filter, so the
newest orders are scanned (COINBASE_SCAN_PAGES pages of 100): an order older than that is not
found.
"""

from __future__ import annotations

import re
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers.ccxt_account import CcxtAccount
from nija.domain.credentials import BrokerCredentials
from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName, OrderType
from nija.domain.orders import OrderStatus
from nija.ports.broker import BrokerOrderRequest

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

    from nija.adapters.brokers.ccxt_broker import CcxtBroker

COINBASE_SCAN_PAGES = 3
KRAKEN_NAMESPACE = uuid.UUID("6f0c4d2e-5a1b-4c8e-9b3f-2d7e1a9c0b51")


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
