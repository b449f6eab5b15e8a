"""Real brokers: coinbase, kraken and binance through ccxt, alpaca through alpaca-py.

Importing this package is cheap: each client module imports its library inside the function that
builds a client (`import ccxt` loads every exchange; alpaca-py's trading module loads pandas).

What lives here is shared by both client modules: the settings every new client is built with
(timeouts, rate limiting, and the transport seam the tests use to replay recorded broker
responses), the gate each request passes before it is sent (the shared request budgets of
throttle.py), the mapping of HTTP statuses onto the broker error taxonomy, and scrubbing of the
broker's words we quote, so that our exception messages carry no secret and no (signed) URL.
"""

from __future__ import annotations

import importlib
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerRateLimited,
    BrokerTemporaryError,
    InvalidOrder,
    UnknownOutcome,
)

if TYPE_CHECKING:
    from requests import Session
    from requests.adapters import BaseAdapter

    from nija.domain.credentials import BrokerCredentials

DEFAULT_TIMEOUT_S = 10.0
MAX_DETAIL = 200
_IMPORTING = threading.Lock()


def library(module: str) -> ModuleType:
    """A client library's module, imported by one thread at a time: ccxt's package imports its
    exchanges in a cycle, and two threads importing it first at once get a half-made module
    (ImportError, KeyError: 'ccxt'), as many key checks at once (an import of users) found."""
    with _IMPORTING:
        return importlib.import_module(module)


# Called with (HTTP method, URL) before a client sends a request: it returns when the request may
# go, or raises (a BrokerError) to keep it from being sent at all.
RequestGate = Callable[[str, str], None]


@dataclass(frozen=True)
class ClientSettings:
    """How new broker clients are built.

    adapter: when set, every new client's requests session sends through it instead of the
    network (the tests mount a replay of recorded broker responses here).
    """

    timeout_s: float = DEFAULT_TIMEOUT_S
    enable_rate_limit: bool = True
    adapter: BaseAdapter | None = None


_settings = ClientSettings()


def client_settings() -> ClientSettings:
    return _settings


@contextmanager
def override_client_settings(**changes: object) -> Iterator[ClientSettings]:
    """Build clients with other settings inside the block (process-wide: clients may be built on
    another thread, as FastAPI's test client does)."""
    global _settings
    previous = _settings
    _settings = replace(previous, **changes)  # type: ignore[arg-type]
    try:
        yield _settings
    finally:
        _settings = previous


def mount(session: Session, settings: ClientSettings) -> None:
    if settings.adapter is not None:
        session.mount("https://", settings.adapter)
        session.mount("http://", settings.adapter)


def gate_requests(session: Session, gate: RequestGate | None) -> None:
    """Pass every request of the session through `gate` first. ccxt and alpaca-py both send each
    HTTP request with `session.request`, so this one seam sees every request either client makes."""
    if gate is None:
        return
    send = session.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        gate(method, url)
        return send(method, url, *args, **kwargs)

    session.request = request  # type: ignore[method-assign]


def secret_values(credentials: BrokerCredentials) -> tuple[str, ...]:
    """Every secret of the credentials, and each long line of a multi-line one (a PEM body)."""
    values: list[str] = []
    for value in vars(credentials).values():
        if isinstance(value, SecretStr):
            text = value.get_secret_value()
            values.append(text)
            values.extend(line.strip() for line in text.splitlines() if len(line.strip()) >= 16)
    return tuple(v for v in values if v)


_URL = re.compile(r"https?://\S+")


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """A broker message fit for an exception: no URL (signed query strings), no secret, short."""
    text = _URL.sub("<url>", text)
    for secret in secrets:
        text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def error_for_status(
    status: int | None, broker: str, detail: str, *, order_placement: bool = False
) -> BrokerError:
    """The taxonomy error for an HTTP status the client library left unclassified."""
    if status in (401, 403):
        return BrokerAuthFailed(f"{broker} refused the API key: {detail}")
    if status in (418, 429):
        return BrokerRateLimited(f"{broker} is rate limiting this key: {detail}")
    if status in (408, 504) and order_placement:
        return UnknownOutcome(f"{broker} did not answer the order in time: {detail}")
    if status is not None and (status >= 500 or status == 408):
        return BrokerTemporaryError(f"{broker} is unavailable ({status}): {detail}")
    if status in (400, 422):
        return InvalidOrder(f"{broker} refused the request: {detail}")
    return BrokerError(f"{broker} error{f' ({status})' if status else ''}: {detail}")
