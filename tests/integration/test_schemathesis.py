"""Property-based tests of the HTTP API against its committed OpenAPI document (schemathesis).

Every operation gets generated requests (valid and invalid) on the in-process local app (every route)
over in-process moto, trusting API Gateway's authorizer context as deployed (NIJA_AUTH_MODE=gateway):
a tiny ASGI wrapper puts the context the authorizer passes into scope["aws.event"]. Checks: no 5xx,
and every response conforms to the document (status code documented, content type, body, headers).

/v1/auth/* and the routes that build the accounts service (/v1/me, /admin/*) need Cognito: the fixture
makes a user pool on the same in-process moto (as the CDK app configures it), so they are included.

Bounded and deterministic: MAX_EXAMPLES per operation and phase, a fixed seed, no shrinking, no
stateful phase, no network (names other than loopback do not resolve); about 20 s in all.
"""

from __future__ import annotations

import os
import socket
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.types import ASGIApp, Receive, Scope, Send

from nija.api.openapi import DOCUMENT_PATH
from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName

pytestmark = [
    pytest.mark.slow,
    # Schemathesis's items (one per operation) share one node id, and pytest-xdist runs one item per
    # node id: under it, one operation of 37 would be tested. `make test` runs this module on its own.
    pytest.mark.skipif(
        "PYTEST_XDIST_WORKER" in os.environ,
        reason="run without xdist (make test does): under it only one operation would run",
    ),
]

MAX_EXAMPLES = 20
PASSWORD = "Fuzz-Passw0rd!"
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})


def no_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """not_a_server_error, except the 503 that says a broker cannot be reached: the right answer to a
    key check when nothing is reachable (this run resolves no name but loopback)."""
    if response.status_code == 503:
        try:
            code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if code in ("broker_temporary", "broker_rate_limited"):
            return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]

config = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "no-shrink": True},
        "phases": {"stateful": {"enabled": False}},
    }
)
schema = schemathesis.openapi.from_path(DOCUMENT_PATH, config=config)


# Nearly every generated order names an unknown symbol or an odd quantity (a 422), and nearly every
# sign-up a weak password or an address Cognito refuses: in the fuzzing phase (hooks do not touch the
# coverage phase's cases), make two bodies in three valid, so that the accepted paths are fuzzed too.


def _two_in_three(text: str) -> bool:
    return sum(map(ord, text)) % 3 != 1


@schema.hook("map_body").apply_to(method="POST", path="/v1/orders")
def tradable_orders(_: schemathesis.HookContext, body: Any) -> Any:
    if not (isinstance(body, dict) and isinstance(body.get("symbol"), str) and _two_in_three(body["symbol"])):
        return body
    try:
        instruments = INSTRUMENTS[BrokerName(body.get("broker"))]
    except ValueError:
        return body
    n = len(body["symbol"])
    inst = instruments[sorted(instruments)[n % len(instruments)]]
    valid = {"symbol": inst.symbol, "quantity": str(inst.min_quantity * (1 + n % 7))}
    if body.get("type") == "limit":
        valid["limit_price"] = "100.5"
    return {**body, **valid}


@schema.hook("map_body").apply_to(method="POST", path="/v1/auth/signup")
def valid_sign_ups(_: schemathesis.HookContext, body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("password"), str) and _two_in_three(body["password"]):
        n = sum(map(ord, body["password"])) % 50  # some addresses repeat: 409 email_taken
        return {**body, "email": f"fuzz-{n}@nija.local", "password": (PASSWORD + body["password"])[:256]}
    return body


@schema.hook("map_body").apply_to(
    method="POST", path=["/v1/auth/password/forgot", "/v1/auth/confirm/resend", "/v1/auth/password/reset"]
)
def known_addresses(_: schemathesis.HookContext, body: Any) -> Any:
    """Two in three ask for the fuzzing user's address (a code is sent, the address's limit reached)."""
    if isinstance(body, dict) and isinstance(body.get("email"), str) and _two_in_three(body["email"]):
        return {**body, "email": "fuzz@nija.local"}
    return body


# Ids of what the `api` fixture made: two generated path ids in three point at them, not at nothing.
EXISTING: dict[str, str] = {}


@schema.hook("map_path_parameters").apply_to(
    path=["/v1/orders/{order_id}", "/admin/users/{user_id}/tier", "/admin/users/{user_id}/permissions"]
)
def existing_objects(_: schemathesis.HookContext, parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        name: EXISTING[name]
        if name in EXISTING and isinstance(value, str) and _two_in_three(value)
        else value
        for name, value in parameters.items()
    }


class GatewayAuthorizer:
    """What API Gateway does before the function runs: the authorizer's context on every request
    (an admin's on /admin/*, a pro user's elsewhere)."""

    def __init__(self, app: ASGIApp, user_id: str, admin_id: str) -> None:
        self.app = app
        self.user = {"user_id": user_id, "tier": "pro", "role": "user"}
        self.admin = {"user_id": admin_id, "tier": "pro", "role": "admin", "mfa": "true"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            context = self.admin if scope["path"].startswith("/admin/") else self.user
            scope = {**scope, "aws.event": {"requestContext": {"authorizer": dict(context)}}}
        await self.app(scope, receive, send)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names other than loopback do not resolve: a route that calls out (a broker's key check) fails
    here as it would with the broker down, and the test never leaves the machine."""
    resolve = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name not in LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, f"no network in this test ({name})")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)


@pytest.fixture
def api(
    no_network: None, gateway_mode: None, aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> ASGIApp:
    """The local app (every route) trusting the authorizer context, on in-process moto with a user
    pool, a pro user (dollars on the paper broker, one queued order) and an admin. One per operation;
    Hypothesis's examples share it."""
    from nija import wiring
    from nija.api.apps import create_local_app
    from nija.config import get_settings, reset_settings
    from nija.domain.models import Principal, Side, Tier
    from nija.local import identity
    from nija.logic.orders import OrderRequest, place_order

    pool = identity.create_user_pool(get_settings().catalogue)
    monkeypatch.setenv("NIJA_USER_POOL_ID", pool.pool_id)
    monkeypatch.setenv("NIJA_USER_POOL_CLIENT_ID", pool.client_id)
    monkeypatch.setenv("NIJA_AUTO_CONFIRM_SIGNUP", "true")
    monkeypatch.setenv("NIJA_EMAIL_OUTBOX", str(tmp_path / "email-outbox.jsonl"))  # reset codes go there
    reset_settings()
    assert get_settings().auth_mode == "gateway"
    wiring.recovery().min_answer_s = 0.0  # a code request's floor on its answer time: not here
    user_id = identity.create_confirmed_user(pool, "fuzz@nija.local", PASSWORD, wiring.users(), tier=Tier.PRO)
    admin_id = identity.create_confirmed_user(pool, "admin@nija.local", PASSWORD, wiring.users(), admin=True)
    wiring.broker(BrokerName.PAPER).seed_balances(user_id, {"USD": Decimal("1000000")})  # type: ignore[attr-defined]
    order = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.01"))
    placed = place_order(
        Principal(user_id=user_id, tier=Tier.PRO), order, None, wiring.orders(), wiring.order_queue()
    )
    EXISTING.update(order_id=placed.order_id, user_id=user_id)
    return GatewayAuthorizer(create_local_app(), user_id, admin_id)


# Real failures in routes this test does not own, reported and kept visible until they are fixed.
KNOWN_FAILURES: dict[str, str] = {}


@pytest.fixture(autouse=True)
def known_failure(request: pytest.FixtureRequest) -> None:
    for operation, reason in KNOWN_FAILURES.items():
        if request.node.name.endswith(f"[{operation}]"):
            request.node.add_marker(pytest.mark.xfail(reason=reason, raises=FailureGroup, strict=True))


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_api_conforms_to_its_document(case: schemathesis.Case, api: ASGIApp) -> None:
    case.call_and_validate(app=api, checks=CHECKS)
