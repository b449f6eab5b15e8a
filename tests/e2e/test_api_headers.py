"""The headers and error shape of the local stack's answers over HTTP (uvicorn, the token check on):
the admin console's policy as a header, its script a public route of its own, and the framework's
own errors in the API's shape."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest

from nija.api.apps import MAX_BODY_BYTES

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def _secure(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


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
