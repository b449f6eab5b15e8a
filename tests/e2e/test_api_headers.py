"""The headers and error shape of the local stack's answers over HTTP (uvicorn, the token check on):
the admin console's policy as a header, its script a public route of its own, and the framework's
own errors in the API's shape."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest

from nija.api.apps import MAX_BODY_BYTES
from nija.cors import LOCAL_DEV_ORIGINS

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def _secure(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "server" not in response.headers  # nothing names the software behind it
    assert "strict-transport-security" not in response.headers  # plain HTTP locally: HTTPS only


def test_the_console_loads_its_script_under_its_policy_without_a_token(stack) -> None:  # type: ignore[no-untyped-def]
    page = httpx.get(f"{stack.api}/admin/console")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _secure(page)
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    (src,) = [part.split('"')[1] for part in page.text.split("<script")[1:]]
    script = httpx.get(urljoin(f"{stack.api}/admin/console", src))
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    _secure(script)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"email": ', 400, "malformed_json"),
        (b'{"email": "' + b"x" * MAX_BODY_BYTES + b'"}', 413, "payload_too_large"),
    ],
    ids=["malformed", "too-large"],
)
def test_framework_errors_are_in_the_api_shape(stack, body: bytes, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    r = httpx.post(f"{stack.api}/v1/auth/login", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and r.headers["content-type"] == "application/json", r.text
    assert r.json()["error"]["code"] == code
    _secure(r)


DEV_ORIGIN = LOCAL_DEV_ORIGINS[0]


def test_a_preflight_from_the_dev_server_is_answered_without_a_token(stack) -> None:  # type: ignore[no-untyped-def]
    r = httpx.options(
        f"{stack.api}/v1/orders",
        headers={
            "Origin": DEV_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
    )
    assert r.status_code == 200, r.text
    assert r.headers["access-control-allow-origin"] == DEV_ORIGIN
    allowed = {h.strip().lower() for h in r.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key"} <= allowed
    assert "POST" in r.headers["access-control-allow-methods"]
    # Credentialed for the configured origin only (a web client's refresh cookie), never with `*`.
    assert r.headers["access-control-allow-credentials"] == "true"


def test_an_origin_not_configured_gets_no_cors_grant(stack) -> None:  # type: ignore[no-untyped-def]
    evil = "https://evil.example.com"
    preflight = httpx.options(
        f"{stack.api}/v1/orders",
        headers={"Origin": evil, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 400 and preflight.json()["error"]["code"] == "bad_request"
    assert "access-control-allow-origin" not in preflight.headers
    r = httpx.get(f"{stack.api}/health", headers={"Origin": evil})
    assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


def test_the_dev_server_can_read_a_refusal_and_its_retry_after(stack) -> None:  # type: ignore[no-untyped-def]
    r = httpx.get(f"{stack.api}/v1/me", headers={"Origin": DEV_ORIGIN})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert r.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert r.headers["access-control-expose-headers"] == "Retry-After"
    assert r.headers["vary"] == "Origin"
    _secure(r)
