"""The app's web build against the real local stack, in headless Chromium driven by Playwright
(mobile/e2e): a person opens it, signs in and sees their figures."""

from __future__ import annotations

import base64
import json
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from nija.local.identity import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
MOBILE = Path(__file__).resolve().parents[2] / "mobile"


def _browse(script: str, *args: str) -> dict[str, str]:
    if not (MOBILE / "dist" / "index.html").is_file() or not (MOBILE / "node_modules").is_dir():
        pytest.fail("the app's web build is missing: `make test` builds it (make mobile-web)")
    done = subprocess.run(
        ["node", f"e2e/{script}", *args], cwd=MOBILE, capture_output=True, text=True, timeout=90, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_demo_user_signs_in_and_sees_the_dashboard(stack) -> None:  # type: ignore[no-untyped-def]
    shown = _browse("sign-in.mjs", f"{stack.api}/app/", DEMO_EMAIL, DEMO_PASSWORD)
    dashboard = httpx.get(
        f"{stack.api}/v1/dashboard",
        headers={
            "Authorization": "Bearer "
            + httpx.post(
                f"{stack.api}/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}
            ).json()["access_token"]
        },
    ).json()
    assert Decimal(shown["equity"].replace(",", "")) == Decimal(dashboard["equity"]).quantize(Decimal("0.01"))


def test_a_new_user_signs_up_then_in(stack) -> None:  # type: ignore[no-untyped-def]
    email, password = f"web-{uuid.uuid4().hex[:8]}@example.com", "Web-Passw0rd-42!"
    assert (
        httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": password}).status_code
        == 201
    )
    assert _browse("sign-in.mjs", f"{stack.api}/app/", email, password)["equity"] == "0.00"


def test_a_fill_shows_on_the_dashboard_without_a_reload(stack) -> None:  # type: ignore[no-untyped-def]
    email, password = f"live-{uuid.uuid4().hex[:8]}@example.com", "Live-Passw0rd-42!"
    assert (
        httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": password}).status_code
        == 201
    )
    token = httpx.post(f"{stack.api}/v1/auth/login", json={"email": email, "password": password}).json()
    keys = {"api_key": "live-paper-key", "api_secret": "live-paper-secret"}
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (
        httpx.put(f"{stack.api}/v1/brokers/paper/credentials", json=keys, headers=headers).status_code == 200
    )
    shown = _browse("live-fill.mjs", f"{stack.api}/app/", stack.api, email, password)
    assert (shown["before"], shown["after"]) == ("Open positions: 0", "Open positions: 1")


def test_signed_up_in_the_app_then_offline_a_reload_shows_the_kept_dashboard(stack) -> None:  # type: ignore[no-untyped-def]
    email, password = f"away-{uuid.uuid4().hex[:8]}@example.com", "Away-Passw0rd-42!"
    shown = _browse("offline-reload.mjs", f"{stack.api}/app/", email, password)
    assert shown["online"] == shown["offline"] == "Equity: 0.00"
    assert shown["banner"].startswith("Offline: showing your data as of ")
    # What the page keeps: the lock preference and this user's figures, never a token.
    user_id = httpx.post(f"{stack.api}/v1/auth/login", json={"email": email, "password": password}).json()
    assert not any("token" in key for key in shown["storage"])
    assert [k for k in shown["storage"] if k.startswith("nija.offline.")] == [
        f"nija.offline.{_subject(user_id['access_token'])}"
    ]


def test_the_refresh_token_is_a_cookie_no_script_reads_and_a_reload_keeps_the_session(stack) -> None:  # type: ignore[no-untyped-def]
    email, password = f"jar-{uuid.uuid4().hex[:8]}@example.com", "Jar-Passw0rd-42!"
    assert (
        httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": password}).status_code
        == 201
    )
    shown = _browse("cookie-reload.mjs", f"{stack.api}/app/", email, password)
    assert shown["before"] == shown["after"] == "Equity: 0.00"  # signed in still, after the reload
    assert "nija_refresh" not in shown["script_sees"] and "refresh" not in shown["script_sees"]
    assert sorted((c["name"], c["path"], c["httpOnly"], c["sameSite"]) for c in shown["cookies"]) == [  # type: ignore[attr-defined]
        ("nija_refresh", "/v1/auth/logout", True, "Strict"),
        ("nija_refresh", "/v1/auth/refresh", True, "Strict"),
    ]


def _subject(token: str) -> str:
    payload = token.split(".")[1]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"])
