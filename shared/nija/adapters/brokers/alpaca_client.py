"""alpaca-py's TradingClient for a user's keys, paper or live, with its errors mapped onto the
broker taxonomy. alpaca-py's trading module loads pandas, so it is imported inside the builder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from nija.adapters.brokers import (
    ClientSettings,
    RequestGate,
    client_settings,
    error_for_status,
    gate_requests,
    library,
    mount,
    scrub,
)
from nija.domain.credentials import AlpacaCredentials
from nija.domain.errors import (
    BrokerError,
    BrokerTemporaryError,
    InsufficientFunds,
    OrderNotFound,
    UnknownOutcome,
)
from nija.domain.money import to_decimal
from nija.ports.broker import Balance

if TYPE_CHECKING:
    from alpaca.common.exceptions import APIError
    from alpaca.trading.client import TradingClient
    from alpaca.trading.models import Position, TradeAccount
    from requests import Session

NAME = "alpaca"


def build_trading_client(
    credentials: AlpacaCredentials, *, settings: ClientSettings | None = None, gate: RequestGate | None = None
) -> TradingClient:
    """A TradingClient on the paper or live API, as the credentials say (no request is made);
    `gate` sees each request before it is sent.

    alpaca-py sets no timeout and retries 429/504 three times, 3 s apart: here every request has
    the settings' timeout and no retry (a retried order placement is the executor's decision)."""
    settings = settings or client_settings()
    client = library("alpaca.trading.client").TradingClient(
        api_key=credentials.key_id,
        secret_key=credentials.secret_key.get_secret_value(),
        paper=credentials.paper,
    )
    client._retry = 0
    _default_timeout(client._session, settings.timeout_s)
    mount(client._session, settings)
    gate_requests(client._session, gate)
    return client


def _default_timeout(session: Session, timeout_s: float) -> None:
    send = session.request

    def request(method: str, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout_s)
        return send(method, url, **kwargs)

    session.request = request  # type: ignore[method-assign]


def account_balances(account: TradeAccount, positions: list[Position]) -> dict[str, Balance]:
    """Non-zero balances: USD cash (free: what buys non-marginable assets) and each position."""
    balances: dict[str, Balance] = {}
    cash = to_decimal(account.cash or "0")
    buying = account.non_marginable_buying_power
    free = min(cash, to_decimal(buying)) if buying else cash
    if cash or free:
        currency = account.currency or "USD"
        balances[currency] = Balance(asset=currency, free=free, total=cash)
    for position in positions:
        quantity = to_decimal(position.qty)
        if quantity:
            available = position.qty_available
            balances[position.symbol] = Balance(
                asset=position.symbol,
                free=to_decimal(available) if available is not None else quantity,
                total=quantity,
            )
    return balances


def fetch_balances(client: TradingClient) -> dict[str, Balance]:
    return account_balances(client.get_account(), client.get_all_positions())  # type: ignore[arg-type]


@contextmanager
def translated(*, order_placement: bool = False, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Run alpaca-py calls, raising the taxonomy's error for an API or transport error."""
    from requests import RequestException

    api_error = library("alpaca.common.exceptions").APIError
    try:
        yield
    except api_error as exc:
        raise map_api_error(exc, order_placement=order_placement, secrets=secrets) from exc
    except RequestException as exc:
        raise map_transport_error(exc, order_placement=order_placement) from exc


def map_api_error(
    exc: APIError, *, order_placement: bool = False, secrets: tuple[str, ...] = ()
) -> BrokerError:
    """By HTTP status: 401/403 auth, 429 rate limited, 5xx temporary, 400/422 invalid order.

    Alpaca answers a 403 for insufficient buying power too, and a 404 for an unknown order."""
    status = exc.status_code
    detail = scrub(_message(str(exc)), secrets) or f"HTTP {status}"
    if status == 403 and "insufficient" in detail.lower():
        return InsufficientFunds(f"{NAME}: {detail}")
    if status == 404:
        return OrderNotFound(f"{NAME} has no such order: {detail}")
    return error_for_status(status, NAME, detail, order_placement=order_placement)


def map_transport_error(exc: Exception, *, order_placement: bool = False) -> BrokerError:
    """No HTTP answer. A read timeout or a dropped connection may come after the broker got the
    request: on an order placement its outcome is unknown. A connect timeout never sent it."""
    from requests import ConnectionError as Dropped
    from requests import ConnectTimeout, ReadTimeout

    kind = type(exc).__name__
    if order_placement and (
        isinstance(exc, ReadTimeout) or (isinstance(exc, Dropped) and not isinstance(exc, ConnectTimeout))
    ):
        return UnknownOutcome(f"{NAME} did not confirm the order ({kind})")
    return BrokerTemporaryError(f"{NAME} is unreachable ({kind})")


def _message(body: str) -> str:
    """Alpaca's error body is {"code": ..., "message": ...}; anything else is kept as text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        return str(parsed["message"])
    return body
