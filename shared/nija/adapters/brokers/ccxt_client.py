"""ccxt clients for coinbase, kraken and binance: built from a user's credentials, one exchange
module imported (never `import ccxt`), errors mapped onto the broker taxonomy in one place.

The executor and the vault's key check build their clients here, so both talk to a broker the
same way: same options, timeouts, rate limiting and error mapping.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
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
from nija.domain.credentials import BinanceCredentials, CoinbaseCredentials, KrakenCredentials
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerRateLimited,
    BrokerTemporaryError,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    UnknownOutcome,
)
from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName
from nija.domain.money import to_decimal
from nija.ports.broker import Balance

if TYPE_CHECKING:
    from ccxt.base.exchange import Exchange

CcxtCredentials = CoinbaseCredentials | KrakenCredentials | BinanceCredentials

# ccxt's module (and class) name per broker.
EXCHANGE_IDS: dict[BrokerName, str] = {
    BrokerName.COINBASE: "coinbase",
    BrokerName.KRAKEN: "kraken",
    BrokerName.BINANCE: "binance",
}

_OPTIONS: dict[BrokerName, dict[str, Any]] = {
    # Advanced Trade (v3) accounts: the ones the key's portfolio trades from (ccxt defaults to v2).
    BrokerName.COINBASE: {"fetchBalance": "v3PrivateGetBrokerageAccounts"},
    # Spot only; its currency list is a private, heavy call that spot trading does not need.
    BrokerName.BINANCE: {"defaultType": "spot", "fetchCurrencies": False},
}

# Options of the client without keys (markets, tickers, candles).
PUBLIC_OPTIONS: dict[BrokerName, dict[str, Any]] = {
    BrokerName.BINANCE: {
        "defaultType": "spot",
        "fetchCurrencies": False,
        "fetchMarkets": {"types": ["spot"]},
    },
}

_wire = logging.getLogger("nija.adapters.brokers.wire")


class _WireLog:
    """ccxt logs every request and response at DEBUG with its headers and body (a Coinbase bearer
    JWT, Kraken's API-Sign, balances). This logger keeps the method and the URL without its query."""

    def debug(self, msg: str, *args: object, **kwargs: object) -> None:
        # ccxt: ("%s %s, Request: %s %s", method, url, headers, body) and
        #       ("%s %s, Response: %s %s %s", method, url, status, headers, body)
        if not _wire.isEnabledFor(logging.DEBUG) or len(args) < 3:
            return
        method, url = args[0], str(args[1]).split("?", 1)[0]
        if len(args) >= 5:
            _wire.debug("%s %s -> %s", method, url, args[2])
        else:
            _wire.debug("%s %s", method, url)

    def __getattr__(self, name: str) -> Any:
        return getattr(_wire, name)


def exchange_class(broker: BrokerName) -> type[Exchange]:
    """The exchange's ccxt class, importing only its module."""
    exchange_id = EXCHANGE_IDS[broker]
    return getattr(library(f"ccxt.{exchange_id}"), exchange_id)  # type: ignore[no-any-return]


def build_exchange(
    credentials: CcxtCredentials, *, settings: ClientSettings | None = None, gate: RequestGate | None = None
) -> Exchange:
    """An authenticated ccxt client for the user's keys (no request is made); `gate` sees each
    request before it is sent."""
    settings = settings or client_settings()
    api_key, secret = _key_pair(credentials)
    exchange = exchange_class(credentials.broker)(
        {
            "apiKey": api_key,
            "secret": secret,
            "enableRateLimit": settings.enable_rate_limit,
            "timeout": int(settings.timeout_s * 1000),
            "options": dict(_OPTIONS.get(credentials.broker, {})),
        }
    )
    exchange.logger = _WireLog()
    mount(exchange.session, settings)
    gate_requests(exchange.session, gate)
    return exchange


def build_public_exchange(
    broker: BrokerName, *, settings: ClientSettings | None = None, gate: RequestGate | None = None
) -> Exchange:
    """A ccxt client without keys, for public market data (markets, tickers, candles); it parses
    numbers as strings (never floats). `gate` sees each request before it is sent."""
    settings = settings or client_settings()
    exchange = exchange_class(broker)(
        {
            "enableRateLimit": settings.enable_rate_limit,
            "timeout": int(settings.timeout_s * 1000),
            "options": dict(PUBLIC_OPTIONS.get(broker, {})),
        }
    )
    exchange.logger = _WireLog()
    exchange.number = str
    mount(exchange.session, settings)
    gate_requests(exchange.session, gate)
    return exchange


def public_market_params(broker: BrokerName) -> dict[str, Any]:
    """fetch_markets' parameters: binance asks exchangeInfo for our instruments only."""
    if broker is BrokerName.BINANCE:
        ids = [symbol.replace("/", "") for symbol in INSTRUMENTS[broker]]
        return {"symbols": json.dumps(ids, separators=(",", ":"))}
    return {}


def _key_pair(credentials: CcxtCredentials) -> tuple[str, str]:
    """(apiKey, secret) as ccxt wants them, refusing a secret that cannot sign anything: a signing
    library's parse error may quote the bytes it choked on, so it must never get that far."""
    if isinstance(credentials, CoinbaseCredentials):
        # A PEM pasted through JSON often keeps its newlines as the two characters "\n".
        key = credentials.private_key.get_secret_value().replace("\\n", "\n").strip()
        if key.startswith("-----BEGIN"):  # an ECDSA key (ES256)
            _check_pem(key)
            return credentials.api_key_name, key + "\n"
        if not _is_base64(key, 64):  # CDP's Ed25519 key (EdDSA): base64 of its seed and public key
            raise BrokerAuthFailed(
                "coinbase private_key is neither an EC private key (PEM) nor an Ed25519 key"
            )
        return credentials.api_key_name, key
    secret = credentials.api_secret.get_secret_value()
    if isinstance(credentials, KrakenCredentials) and not _is_base64(secret):
        raise BrokerAuthFailed("kraken api_secret is not a Kraken private key (base64)")
    return credentials.api_key, secret


def _check_pem(pem: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise BrokerAuthFailed("coinbase private_key is not a readable PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise BrokerAuthFailed("coinbase private_key must be an EC P-256 (ES256) key")


def _is_base64(text: str, length: int | None = None) -> bool:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return bool(raw) and (length is None or len(raw) == length)


def fetch_balances(exchange: Exchange) -> dict[str, Balance]:
    """The account's non-zero balances, read with ccxt's fetch_balance as exact decimals.

    fetch_balance downloads the exchange's markets first when none are set; balances need none,
    so an exchange without markets gets an empty set (load_markets still loads them later)."""
    if exchange.markets is None:
        exchange.set_markets({})
    number = exchange.number
    exchange.number = str  # ccxt parses amounts with this: strings, never floats
    try:
        raw = exchange.fetch_balance()
    finally:
        exchange.number = number
    balances: dict[str, Balance] = {}
    for asset, entry in raw.items():
        if not isinstance(entry, dict) or asset in ("info", "free", "used", "total", "debt"):
            continue
        total = to_decimal(entry.get("total") or "0")
        free = to_decimal(entry.get("free") or "0")
        if total or free:
            balances[asset] = Balance(asset=asset, free=free, total=total)
    return balances


@contextmanager
def translated(
    broker: BrokerName, *, order_placement: bool = False, secrets: tuple[str, ...] = ()
) -> Iterator[None]:
    """Run ccxt calls, raising the taxonomy's error for any ccxt error."""
    base_error = library("ccxt.base.errors").BaseError

    try:
        yield
    except base_error as exc:
        raise map_ccxt_error(exc, broker, order_placement=order_placement, secrets=secrets) from exc


def map_ccxt_error(
    exc: Exception, broker: BrokerName, *, order_placement: bool = False, secrets: tuple[str, ...] = ()
) -> BrokerError:
    """The one mapping of ccxt's errors onto ours. order_placement: the call was placing an order,
    so a timeout (or a connection lost mid-request) leaves its outcome unknown: UnknownOutcome."""
    ccxt = library("ccxt.base.errors")

    name = broker.value
    detail = _detail(exc, name, secrets)
    if isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(f"{name} has no such order: {detail}")
    if isinstance(exc, ccxt.InsufficientFunds):
        return InsufficientFunds(f"{name}: insufficient funds: {detail}")
    if isinstance(exc, ccxt.AuthenticationError):  # PermissionDenied, AccountSuspended too
        return BrokerAuthFailed(f"{name} refused the API key: {detail}")
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        return BrokerRateLimited(f"{name} is rate limiting this key: {detail}")
    if order_placement and (
        isinstance(exc, ccxt.RequestTimeout | ccxt.BadResponse) or type(exc) is ccxt.NetworkError
    ):
        return UnknownOutcome(f"{name} did not confirm the order: {detail}")
    if type(exc) in (ccxt.NetworkError, ccxt.RequestTimeout):  # no answer: ccxt's text is only the URL
        return BrokerTemporaryError(f"{name} could not be reached ({type(exc).__name__})")
    if isinstance(exc, ccxt.OperationFailed):  # ExchangeNotAvailable, InvalidNonce, BadResponse...
        return BrokerTemporaryError(f"{name} is unavailable: {detail}")
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.OperationRejected):
        return InvalidOrder(f"{name} refused the request: {detail}")
    return error_for_status(_http_status(exc), name, detail, order_placement=order_placement)


def _detail(exc: Exception, name: str, secrets: tuple[str, ...]) -> str:
    text = str(exc)
    if text.startswith(name + " "):
        text = text[len(name) + 1 :]
    return scrub(text, secrets) or type(exc).__name__


def _http_status(exc: BaseException) -> int | None:
    """ccxt raises inside its `except HTTPError`: the HTTP error, with its response, is the context."""
    seen: BaseException | None = exc
    while seen is not None:
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status
        seen = seen.__cause__ or seen.__context__
    return None
