"""Account recovery and sessions over HTTP on the local stack: a reset with the code from the email
outbox the stack prints, logout and password change ending sessions, and the refresh cookie of a web
client with its Origin check."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
PASSWORD = "Recover-Passw0rd-1!"
NEW_PASSWORD = "Recover-Passw0rd-2!"


def outbox_of(stack) -> Path:  # type: ignore[no-untyped-def]
    """Where the stack said it keeps its email (the banner's `Email outbox:` line)."""
    for line in stack.output:
        found = re.search(r"Email outbox: (\S+)", line)
        if found:
            return Path(found.group(1))
    raise AssertionError("the stack printed no email outbox:\n" + "".join(stack.output))


def code_for(outbox: Path, to: str, timeout_s: float = 10.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if outbox.exists():
            for line in reversed(outbox.read_text().splitlines()):
                message = json.loads(line)
                if message["to"] == to and message["kind"] == "password_reset":
                    return re.findall(r"\b\d{6}\b", message["body"])[0]
        time.sleep(0.1)
    raise AssertionError(f"no reset code for {to} in {outbox}")


def signed_up(api: str) -> str:
    email = f"recover-{uuid.uuid4().hex[:8]}@example.com"
    r = httpx.post(f"{api}/v1/auth/signup", json={"email": email, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return email


def login(api: str, email: str, password: str = PASSWORD, **extra: object) -> httpx.Response:
    return httpx.post(f"{api}/v1/auth/login", json={"email": email, "password": password, **extra})


def test_forgot_code_from_the_outbox_reset_then_sign_in(stack) -> None:  # type: ignore[no-untyped-def]
    api, outbox = stack.api, outbox_of(stack)
    email = signed_up(api)
    forgot = httpx.post(f"{api}/v1/auth/password/forgot", json={"email": email})
    assert forgot.status_code == 202, forgot.text
    code = code_for(outbox, email)
    reset = httpx.post(
        f"{api}/v1/auth/password/reset", json={"email": email, "code": code, "new_password": NEW_PASSWORD}
    )
    assert reset.status_code == 204, reset.text
    assert login(api, email).status_code == 401
    signed_in = login(api, email, NEW_PASSWORD)
    assert signed_in.status_code == 200 and signed_in.json()["access_token"]
    unknown = httpx.post(
        f"{api}/v1/auth/password/forgot", json={"email": f"nobody-{uuid.uuid4().hex}@example.com"}
    )
    assert (unknown.status_code, unknown.content) == (forgot.status_code, forgot.content)


def test_logout_then_refresh_is_401(stack) -> None:  # type: ignore[no-untyped-def]
    api = stack.api
    refresh_token = login(api, signed_up(api)).json()["refresh_token"]
    assert httpx.post(f"{api}/v1/auth/refresh", json={"refresh_token": refresh_token}).status_code == 200
    out = httpx.post(f"{api}/v1/auth/logout", json={"refresh_token": refresh_token})
    assert out.status_code == 204, out.text
    again = httpx.post(f"{api}/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert again.status_code == 401 and again.json()["error"]["code"] == "unauthenticated"


def test_change_password_ends_the_other_session(stack) -> None:  # type: ignore[no-untyped-def]
    api = stack.api
    email = signed_up(api)
    here, elsewhere = login(api, email).json(), login(api, email).json()
    changed = httpx.post(
        f"{api}/v1/auth/password/change",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {here['access_token']}"},
    )
    assert changed.status_code == 204, changed.text
    other = httpx.post(f"{api}/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]})
    assert other.status_code == 401, other.text
    assert login(api, email, NEW_PASSWORD).status_code == 200


def test_cookie_mode_refresh_from_our_origin_only(stack) -> None:  # type: ignore[no-untyped-def]
    api = stack.api
    email = signed_up(api)
    with httpx.Client(base_url=api) as browser:  # keeps cookies as a browser does, by path
        signed_in = browser.post(
            "/v1/auth/login", json={"email": email, "password": PASSWORD, "refresh_cookie": True}
        )
        assert signed_in.status_code == 200 and "refresh_token" not in signed_in.json(), signed_in.text
        set_cookies = signed_in.headers.get_list("set-cookie")
        assert len(set_cookies) == 2 and all("HttpOnly" in c and "SameSite=Strict" in c for c in set_cookies)
        assert all("Secure" not in c for c in set_cookies)  # plain http on this machine only

        assert (
            browser.get("/v1/me", headers={"Authorization": "Bearer x"}).request.headers.get("cookie") is None
        )
        ours = browser.post("/v1/auth/refresh", json={}, headers={"Origin": api})
        assert ours.status_code == 200 and ours.json()["access_token"], ours.text
        assert "nija_refresh=" in ours.request.headers["cookie"]
        dev_server = browser.post("/v1/auth/refresh", json={}, headers={"Origin": "http://localhost:8081"})
        assert dev_server.status_code == 200, dev_server.text
        evil = browser.post("/v1/auth/refresh", json={}, headers={"Origin": "https://evil.example.com"})
        assert evil.status_code == 403 and evil.json()["error"]["code"] == "origin_refused"
        bare = browser.post("/v1/auth/refresh", json={})
        assert bare.status_code == 403

        out = browser.post("/v1/auth/logout", json={}, headers={"Origin": api})
        assert out.status_code == 204, out.text
        assert not browser.cookies.jar or all(c.value == "" for c in browser.cookies.jar)
