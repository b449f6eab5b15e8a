"""One user's account at a ccxt exchange (the BrokerAccount port): the steps every exchange shares.
What differs per exchange is in ccxt_exchange_accounts.py.

Orders:
- the client order id travels in the exchange's own parameter (capabilities.client_order_id_param):
  coinbase `client_order_id`, binance `newClientOrderId`, kraken `cl_ord_id`. Passing ccxt's
  `clientOrderId` is not enough: ccxt's coinbase drops it and sends a random id of its own.
- quantities and prices go out as exact decimal strings: each is checked against the market's
  precision with ccxt's amount_to_precision/price_to_precision, and refused (InvalidOrder, nothing
  sent) if the exchange would have to round it. The client parses numbers as strings (never floats).
- fills are the exchange's own trades, with its trade ids: the order's own when it carries them
  all, else fetched for the order. Nothing is synthesized: a fill not yet reported comes on a later
  look-up.
- a timeout placing an order is UnknownOutcome (translated(..., order_placement=True)); once the
  exchange has taken the order, a failure to read it back returns it as accepted, never an error.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers import secret_values
from nija.adapters.brokers.ccxt_client import build_exchange, fetch_balances, translated
from nija.adapters.brokers.ccxt_parsing import (
    carried_trades,
    decimal_or_zero,
    fills_of,
    order_status,
)
from nija.domain.credentials import BrokerCredentials
from nija.domain.errors import BrokerError, InvalidOrder, OrderNotFound
from nija.domain.models import Fill, OrderType
from nija.domain.money import ZERO, fmt, to_decimal
from nija.domain.orders import OrderStatus
from nija.ports.broker import Balance, BrokerOrder, BrokerOrderRequest

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

    from nija.adapters.brokers.ccxt_broker import CcxtBroker

log = logging.getLogger(__name__)


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
        return order_status(raw)

    def _order(
        self, exchange: Exchange, raw: dict[str, Any], client_order_id: str, symbol: str | None = None
    ) -> BrokerOrder:
        status = self._status(raw)
        fills = self._fills(exchange, raw) if decimal_or_zero(raw.get("filled")) > ZERO else ()
        return BrokerOrder(
            broker_order_id=str(raw["id"]),
            client_order_id=client_order_id,
            symbol=raw.get("symbol") or symbol or "",
            status=status,
            filled_quantity=decimal_or_zero(raw.get("filled")),
            fills=fills,
            reason=self._reason(raw) if status is OrderStatus.REJECTED else None,
        )

    def _fills(self, exchange: Exchange, raw: dict[str, Any]) -> tuple[Fill, ...]:
        """The order's executions with the exchange's trade ids: from the order when it carries
        them all, else fetched for the order."""
        trades = carried_trades(raw)
        if trades is None:
            trades = self._trades(exchange, raw)
        return fills_of(raw, trades)

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
