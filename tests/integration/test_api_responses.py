"""What every API response carries, and the error shape for what the framework answers itself, in
the app (as the local stack serves it) and through Mangum (as the Lambda functions run it)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from test_accounts import email, login, signup

from nija.api.apps import MAX_BODY_BYTES

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
TOO_LARGE = json.dumps({"broker": "paper", "note": "x" * (MAX_BODY_BYTES + 1)})
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


@pytest.fixture
def app(gateway_mode: None, aws: None) -> TestClient:
    from nija.api.apps import create_local_app

    return TestClient(create_local_app(), raise_server_exceptions=False)


class Broken:
    """A use case whose every call fails with an error no handler knows: an unhandled exception."""

    def __getattr__(self, name: str) -> Any:
        def fail(*_: Any, **__: Any) -> Any:
            raise RuntimeError("the store is gone")

        return fail


@pytest.fixture
def broken_sign_in(app: TestClient) -> Iterator[None]:
    from nija import wiring

    app.app.dependency_overrides[wiring.accounts] = Broken  # type: ignore[attr-defined]
    yield
    app.app.dependency_overrides.clear()  # type: ignore[attr-defined]


@pytest.fixture
def broken_positions(trading_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The function builds its own app: the container hands it the broken part."""
    from nija import wiring

    monkeypatch.setattr(wiring.container(), "position_book", Broken())


def _secure(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"
    assert headers["referrer-policy"] == "no-referrer"


def test_a_body_over_the_limit_is_413_in_the_error_shape(app: TestClient) -> None:
    r = app.post("/v1/orders", content=TOO_LARGE, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == "application/json"
    assert r.json() == {"error": {"code": "payload_too_large", "message": "the request body is too large"}}
    _secure(r.headers)

    def chunks() -> Any:  # no Content-Length: the limit counts what arrives
        yield TOO_LARGE[: MAX_BODY_BYTES // 2].encode()
        yield TOO_LARGE[MAX_BODY_BYTES // 2 :].encode()

    streamed = app.post("/v1/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "payload_too_large"


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PUT", "/health", None, 405, "method_not_allowed"),
        ("GET", "/v1/nowhere", None, 404, "not_found"),
        ("POST", "/v1/auth/login", b'{"email": ', 400, "malformed_json"),
        ("POST", "/v1/auth/login", b"\xff\xfe", 400, "malformed_json"),
    ],
)
def test_framework_errors_use_the_error_shape(
    app: TestClient, method: str, path: str, body: bytes | None, status: int, code: str
) -> None:
    r = app.request(method, path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and r.headers["content-type"] == "application/json"
    assert r.json()["error"]["code"] == code and set(r.json()) == {"error"}
    _secure(r.headers)


def test_an_unhandled_error_is_a_500_in_the_error_shape_with_the_headers(
    app: TestClient, broken_sign_in: None
) -> None:
    """Starlette answers it outside every middleware: the headers used to be missing on it."""
    r = app.post("/v1/auth/login", json={"email": "x@example.com", "password": "Sample-Passw0rd!"})
    assert r.status_code == 500
    assert r.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert "the store is gone" not in r.text
    _secure(r.headers)


def test_every_response_says_nosniff_and_no_store_and_json_allows_nothing(app: TestClient) -> None:
    for r in (app.get("/health"), app.post("/v1/auth/login", json={"email": "x@example.com"})):
        _secure(r.headers)
        assert r.headers["content-security-policy"] == JSON_CSP


def _console_policy(page: str, policy: str) -> None:
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert 'http-equiv="Content-Security-Policy"' not in page
    assert re.findall(r"<script\b[^>]*>[^<]*</script>", page) == ['<script src="console.js"></script>']
    (style,) = re.findall(r"<style>(.*?)</style>", page, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}';" in policy


def test_the_console_page_sends_its_csp_as_a_header_without_unsafe_inline(app: TestClient) -> None:
    r = app.get("/admin/console")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    _secure(r.headers)
    _console_policy(r.text, r.headers["content-security-policy"])

    script = app.get("/admin/console.js")  # the page's script, public like the page
    assert script.status_code == 200, script.text
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"  # nosniff demands it
    _secure(script.headers)
    assert "/v1/auth/login" in script.text and "<script" not in script.text


# Through Lambda: the events API Gateway sends (a {proxy+} route forwards any path and method under it).


def _admin_event(api: Any, method: str, path: str) -> dict[str, Any]:
    """A call under /admin/{proxy+} (ANY): API Gateway forwards every path and method there."""
    event = api("admin_api").event("health", user_id="admin-1", role="admin")
    context = {**event["requestContext"], "httpMethod": method, "path": f"/test{path}"}
    proxy = {"proxy": path.removeprefix("/admin/")}
    return {**event, "httpMethod": method, "path": path, "pathParameters": proxy, "requestContext": context}


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown_route", 404, "not_found"),
        ("method_not_allowed", 405, "method_not_allowed"),
        ("malformed_json", 400, "malformed_json"),
        ("too_large", 413, "payload_too_large"),
    ],
)
def test_through_lambda_framework_errors_use_the_error_shape(
    trading_api: Any, api: Any, case: str, status: int, code: str
) -> None:
    events: dict[str, Callable[[], tuple[Any, dict[str, Any]]]] = {
        "unknown_route": lambda: (api("admin_api"), _admin_event(api, "GET", "/admin/nowhere")),
        "method_not_allowed": lambda: (api("admin_api"), _admin_event(api, "PUT", "/admin/health")),
        "malformed_json": lambda: (
            trading_api,
            trading_api.event("orders_create_malformed_json", user_id="u-1"),
        ),
        "too_large": lambda: (
            trading_api,
            {**trading_api.event("orders_create", user_id="u-1", idempotency_key="big"), "body": TOO_LARGE},
        ),
    }
    function, event = events[case]()
    r = function.invoke(event)
    assert r.status == status and r.error["code"] == code, r.body
    _secure(r.headers)


def test_through_lambda_an_unhandled_error_is_a_500_in_the_error_shape_with_the_headers(
    trading_api: Any, broken_positions: None
) -> None:
    r = trading_api("positions_list", user_id="u-1")
    assert r.status == 500 and r.error == {"code": "internal_error", "message": "internal error"}
    _secure(r.headers)


def test_through_lambda_the_console_page_and_its_script(aws: None, api: Any) -> None:
    admin = api("admin_api")
    page = admin.fn(admin.event("console"))
    headers = {k.lower(): v for k, v in page["headers"].items()}
    assert page["statusCode"] == 200
    _secure(headers)
    _console_policy(page["body"], headers["content-security-policy"])

    script = admin.fn(admin.event("console_script"))
    headers = {k.lower(): v for k, v in script["headers"].items()}
    assert script["statusCode"] == 200 and script["isBase64Encoded"] is False
    assert headers["content-type"] == "text/javascript; charset=utf-8"
    _secure(headers)
    assert "/admin/users" in script["body"]


def test_through_lambda_every_answer_with_tokens_is_not_to_be_cached(dashboard: Any) -> None:
    """login, refresh and the MFA challenge's answer: the responses that carry tokens."""
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    tokens = login(dashboard, address)
    refreshed = dashboard("auth_refresh", refresh_token=tokens.body["refresh_token"])
    token = tokens.body["access_token"]
    setup = dashboard("auth_mfa_setup", user_id=user_id, token=token)  # carries the TOTP secret
    assert dashboard("auth_mfa_enable", user_id=user_id, token=token, code="123456").status == 200
    challenge = login(dashboard, address)
    verified = dashboard("auth_mfa_verify", email=address, session=challenge.body["session"], code="123456")
    for r in (tokens, refreshed, verified):
        assert r.status == 200 and r.body["access_token"], r.body
    for r in (tokens, refreshed, setup, challenge, verified):
        _secure(r.headers)
        assert r.headers["content-security-policy"] == JSON_CSP


def test_https_responses_say_strict_transport_security_and_plain_http_ones_do_not(
    app: TestClient, trading_api: Any
) -> None:
    """API Gateway serves HTTPS only (the events say X-Forwarded-Proto: https); the local stack is
    plain HTTP, where the header would mean nothing."""
    assert "strict-transport-security" not in app.get("/health").headers
    served = trading_api("positions_list", user_id="u-1")
    assert served.status == 200
    assert served.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
