"""Fixtures for the handler tests: the sample events in events/, a way to invoke a handler with one,
and a moto server for the tests that need real HTTP (the authorizer fetches the pool's JWKS)."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from nija.config import get_settings, reset_settings
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function


@dataclass(frozen=True)
class Function:
    """One deployment of a function: its module (as Lambda imports it) and its configured name."""

    module: ModuleType
    name: str
    timeout_s: int = 30

    def __call__(self, event: dict[str, Any]) -> Any:
        return self.module.handler(event, LambdaContext(self.name, timeout_s=self.timeout_s))


def function(key: str, name: str, instance: str = "integration", timeout_s: int = 30) -> Function:
    return Function(load_function(key, instance), name, timeout_s)


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def error(self) -> dict[str, Any]:
        """The error object, after checking the body is exactly {"error": {"code", "message"}}."""
        assert self.headers.get("content-type", "").startswith("application/json"), self.headers
        assert isinstance(self.body, dict) and set(self.body) == {"error"}, self.body
        error = self.body["error"]
        assert {"code", "message"} <= set(error) <= {"code", "message", "field"}, error
        assert isinstance(error["code"], str) and error["code"], error
        assert isinstance(error["message"], str) and error["message"], error
        return dict(error)


def api_response(raw: dict[str, Any]) -> Response:
    """What API Gateway makes of a proxy integration's reply."""
    assert set(raw) >= {"statusCode", "headers", "body", "isBase64Encoded"}, raw
    assert raw["isBase64Encoded"] is False
    body = json.loads(raw["body"]) if raw["body"] else None
    return Response(raw["statusCode"], {k.lower(): v for k, v in raw["headers"].items()}, body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """An in-process moto server on a free loopback port, for the whole session."""
    from moto.server import ThreadedMotoServer

    from nija.local import moto_server

    moto_server.install()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access-log line per AWS call
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(name="load_event")
def load_event_fixture() -> Callable[..., dict[str, Any]]:
    return load_event


class ApiFunction:
    """An API function as API Gateway invokes it (REST proxy integration), with its sample events."""

    def __init__(self, fn: Function, events: str) -> None:
        self.fn = fn
        self.events = events

    def invoke(self, event: dict[str, Any]) -> Response:
        return api_response(self.fn(event))

    def event(self, case: str, **values: str) -> dict[str, Any]:
        return load_event(f"{self.events}/{case}", **values)

    def __call__(self, case: str, **values: str) -> Response:
        return self.invoke(self.event(case, **values))


class TradingApi(ApiFunction):
    def __init__(self, fn: Function) -> None:
        super().__init__(fn, "trading_api")


@pytest.fixture(name="api")
def api_fixture() -> Callable[[str], ApiFunction]:
    """api("dashboard_api") -> that function, loaded as Lambda would (settings are read lazily)."""
    from nija.config import get_settings

    def build(key: str) -> ApiFunction:
        return ApiFunction(function(key, f"{get_settings().catalogue.prefix}-{key.replace('_', '-')}"), key)

    return build


@pytest.fixture
def gateway_mode(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Trust API Gateway's authorizer context, as the deployed trading_api does."""
    from nija.config import reset_settings

    monkeypatch.setenv("NIJA_AUTH_MODE", "gateway")
    reset_settings()  # whatever fixture built the settings before this one
    yield
    monkeypatch.delenv("NIJA_AUTH_MODE")
    reset_settings()  # nothing after this test may see the gateway mode


def build_trading_api(*, reset: bool = True) -> TradingApi:
    """trading_api under the current environment, from a cold start (the app is built anew)."""
    from nija.config import get_settings, reset_settings

    if reset:
        reset_settings()
    return TradingApi(function("trading_api", get_settings().catalogue.trading_api.name))


@pytest.fixture
def trading_api(gateway_mode: None, aws: None) -> TradingApi:
    """trading_api on in-process moto, trusting the authorizer context as deployed.

    gateway_mode comes first, so the `aws` fixture's settings reset already sees it."""
    from nija.config import get_settings

    assert get_settings().auth_mode == "gateway"
    return build_trading_api(reset=False)


@pytest.fixture(name="build_trading_api")
def build_trading_api_fixture() -> Callable[[], TradingApi]:
    return build_trading_api


@pytest.fixture
def authorizer() -> Function:
    from nija.config import get_settings

    fn = get_settings().catalogue.authorizer
    return function("authorizer", fn.name, timeout_s=fn.timeout_s)


@pytest.fixture
def executor(aws: None) -> Callable[[str], Function]:
    """executor(broker) -> that broker's deployment of the executor function."""
    from nija.config import get_settings

    def deployment(broker: str) -> Function:
        fn = get_settings().catalogue.executor(broker)
        return function("executor", fn.name, instance=f"integration-{broker}", timeout_s=fn.timeout_s)

    return deployment


@pytest.fixture
def pool(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[identity.Pool]:
    """A user pool as the local stack makes it; handlers trust the gateway context."""
    cat = get_settings().catalogue
    made = identity.create_user_pool(cat)
    monkeypatch.setenv("NIJA_AUTH_MODE", "gateway")
    monkeypatch.setenv("NIJA_USER_POOL_ID", made.pool_id)
    monkeypatch.setenv("NIJA_USER_POOL_CLIENT_ID", made.client_id)
    monkeypatch.setenv("NIJA_AUTO_CONFIRM_SIGNUP", "true")
    reset_settings()
    yield made
    reset_settings()


@pytest.fixture
def dashboard(pool: identity.Pool, api: Any) -> Any:
    return api("dashboard_api")
