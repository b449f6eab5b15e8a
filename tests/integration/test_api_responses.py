"""What every API response carries, and the error shape for what the framework answers itself, in
the app (as the local stack serves it) and through Mangum (as the Lambda functions run it)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from nija.api.apps import MAX_BODY_BYTES

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
TOO_LARGE = json.dumps({"broker": "paper", "note": "x" * (MAX_BODY_BYTES + 1)})


@pytest.fixture
def app(gateway_mode: None, aws: None) -> TestClient:
    from nija.api.apps import create_local_app

    return TestClient(create_local_app(), raise_server_exceptions=False)


def _secure(headers: Any) -> None:
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["cache-control"] == "no-store"


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
    ("method", "path", "status", "code"),
    [("PUT", "/health", 405, "method_not_allowed"), ("GET", "/v1/nowhere", 404, "not_found")],
)
def test_framework_errors_use_the_error_shape(
    app: TestClient, method: str, path: str, status: int, code: str
) -> None:
    r = app.request(method, path)
    assert r.status_code == status and r.json()["error"]["code"] == code
    _secure(r.headers)


def test_every_response_says_nosniff_and_no_store_and_json_allows_nothing(app: TestClient) -> None:
    for r in (app.get("/health"), app.post("/v1/auth/login", json={"email": "x@example.com"})):
        _secure(r.headers)
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_the_console_page_sends_its_csp_as_a_header_without_unsafe_inline(app: TestClient) -> None:
    r = app.get("/admin/console")
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    policy = r.headers["content-security-policy"]
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert 'http-equiv="Content-Security-Policy"' not in r.text
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        (block,) = re.findall(rf"<{tag}>(.*?)</{tag}>", r.text, flags=re.S)
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
    assert not re.search(r"<[^>]+\son[a-z]+=", r.text)  # no inline handler a CSP would block


def test_through_lambda_the_same(trading_api: Any, api: Any) -> None:
    event = trading_api.event("orders_create", user_id="u-1", idempotency_key="big")
    big = trading_api.invoke({**event, "body": TOO_LARGE})
    assert big.status == 413 and big.body["error"]["code"] == "payload_too_large"
    assert big.headers["x-content-type-options"] == "nosniff"
    dashboard = api("dashboard_api")
    login = dashboard("auth_login")
    assert (
        login.headers["cache-control"] == "no-store" and login.headers["x-content-type-options"] == "nosniff"
    )
