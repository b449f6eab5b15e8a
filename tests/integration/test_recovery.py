"""Recovery and sessions through the dashboard_api handler on moto: reset codes by email (the local
outbox), password change, resending the sign-up code, logout, turning TOTP off, and the refresh
cookie for web clients. Cognito and DynamoDB are moto's (with the local stack's fixes)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client
from nija.config import get_settings, reset_settings
from nija.domain.lockout import MAX_FAILURES
from nija.local import identity
from nija.logic.accounts import email_subject
from tests.integration.conftest import Response, api_response
from tests.kit import routed

PASSWORD = "Sample-Passw0rd!"
NEW_PASSWORD = "Brand-New-Passw0rd!"
WEB = "https://app.example.com"


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "email-outbox.jsonl"
    monkeypatch.setenv("NIJA_EMAIL_OUTBOX", str(path))
    monkeypatch.setenv("NIJA_CORS_ORIGINS", WEB)
    reset_settings()
    return path


@pytest.fixture
def api(dashboard: Any, outbox: Path) -> Any:
    return dashboard


def email() -> str:
    return f"reader-{uuid.uuid4().hex[:10]}@example.com"


def call(
    dashboard: Any,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    *,
    user_id: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[Response, dict[str, Any]]:
    """Any route as API Gateway sends it (signed-in ones with the authorizer's context); returns the
    response and the raw proxy answer (its multiValueHeaders hold both Set-Cookie values)."""
    if user_id is None:
        base = dashboard.event("auth_login_user", email="x@example.com", password="x")
    else:
        base = dashboard.event("auth_mfa_setup", user_id=user_id, token=token or "none")
    event = routed(base, method, path, body, headers)
    raw = dashboard.fn(event)
    return api_response(raw), raw


def post(dashboard: Any, path: str, body: dict[str, Any] | None = None, **kw: Any) -> Response:
    return call(dashboard, "POST", path, body, **kw)[0]


def signup(dashboard: Any, address: str) -> str:
    r = post(dashboard, "/v1/auth/signup", {"email": address, "password": PASSWORD})
    assert r.status == 201, r.body
    return str(r.body["user_id"])


def login(dashboard: Any, address: str, password: str = PASSWORD) -> Response:
    return post(dashboard, "/v1/auth/login", {"email": address, "password": password})


def refresh(dashboard: Any, token: str) -> Response:
    return post(dashboard, "/v1/auth/refresh", {"refresh_token": token})


def mails(outbox: Path, to: str) -> list[dict[str, Any]]:
    if not outbox.exists():
        return []
    lines = [json.loads(line) for line in outbox.read_text().splitlines()]
    return [m for m in lines if m["to"] == to]


def code_in(message: dict[str, Any]) -> str:
    found = re.search(r"\b(\d{6})\b", message["body"])
    assert found, message
    return found.group(1)


def all_items() -> str:
    """Every item in every table, as text: for checks that a secret was never written."""
    ddb = client("dynamodb")
    cat = get_settings().catalogue
    scans = [ddb.scan(TableName=t.name)["Items"] for t in (cat.state_table, cat.audit_table)]
    return json.dumps(scans, default=repr)


def audited(subject: str) -> list[tuple[str, str, dict[str, str]]]:
    return [(e.action, e.outcome.value, e.details) for e in wiring.audit_records().events_for(subject)]


# --- forgot and reset ----------------------------------------------------------------------------


def test_forgot_then_reset_with_the_emailed_code_then_sign_in_with_the_new_password(
    api: Any, outbox: Path
) -> None:
    address = email()
    signup(api, address)
    old_session = login(api, address).body["refresh_token"]

    r = post(api, "/v1/auth/password/forgot", {"email": address})
    assert r.status == 202 and r.body is None
    [message] = mails(outbox, address)
    assert message["kind"] == "password_reset"
    code = code_in(message)

    reset = post(
        api, "/v1/auth/password/reset", {"email": address, "code": code, "new_password": NEW_PASSWORD}
    )
    assert reset.status == 204, reset.body
    assert login(api, address).status == 401
    assert login(api, address, NEW_PASSWORD).status == 200
    assert refresh(api, old_session).status == 401  # a reset ends every session
    again = post(api, "/v1/auth/password/reset", {"email": address, "code": code, "new_password": PASSWORD})
    assert again.status == 401 and again.error["code"] == "invalid_code"  # a code works once

    subject = email_subject(address)
    assert [(a, o) for a, o, _ in audited(subject) if a.startswith("auth.password")] == [
        ("auth.password_reset", "failure"),
        ("auth.password_reset", "success"),
        ("auth.password_forgot", "success"),
    ]
    stored = all_items()
    assert code not in stored and NEW_PASSWORD not in stored and PASSWORD not in stored


def test_an_unknown_address_gets_the_same_answer_and_no_mail(api: Any, outbox: Path) -> None:
    known, unknown = email(), email()
    signup(api, known)
    answers = [call(api, "POST", "/v1/auth/password/forgot", {"email": a})[1] for a in (known, unknown)]
    same = [{k: v for k, v in a.items() if k not in ("multiValueHeaders",)} for a in answers]
    for a in same:
        a["headers"] = {k: v for k, v in a["headers"].items() if k.lower() not in ("x-request-id", "date")}
    assert same[0] == same[1] and same[0]["statusCode"] == 202
    assert mails(outbox, known) and not mails(outbox, unknown)
    assert audited(email_subject(unknown))[0][:2] == ("auth.password_forgot", "success")


def test_reset_refusals(api: Any, outbox: Path) -> None:
    address = email()
    signup(api, address)
    post(api, "/v1/auth/password/forgot", {"email": address})
    code = code_in(mails(outbox, address)[0])
    wrong = "000000" if code != "000000" else "111111"

    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"email": address, "code": wrong, "new_password": NEW_PASSWORD}, 401, "invalid_code"),
        ({"email": email(), "code": code, "new_password": NEW_PASSWORD}, 401, "invalid_code"),
        ({"email": address, "code": code, "new_password": "weakpassword"}, 422, "weak_password"),
        ({"email": address, "code": "12ab56", "new_password": NEW_PASSWORD}, 422, "invalid_input"),
        ({"email": "not-an-email", "code": code, "new_password": NEW_PASSWORD}, 422, "invalid_input"),
        ({"email": address, "code": code}, 422, "invalid_input"),
    ]
    for body, status, code_name in cases:
        r = post(api, "/v1/auth/password/reset", body)
        assert r.status == status and r.error["code"] == code_name, (body, r.body)
    weak = post(
        api, "/v1/auth/password/reset", {"email": address, "code": code, "new_password": "weakpassword"}
    )
    assert weak.error["field"] == "new_password" and "weakpassword" not in json.dumps(weak.body)
    ok = post(api, "/v1/auth/password/reset", {"email": address, "code": code, "new_password": NEW_PASSWORD})
    assert ok.status == 204  # the refusals spent nothing: the code still works


def test_codes_per_address_are_limited_known_or_not(api: Any, outbox: Path) -> None:
    for address in (email(), email()):
        for _ in range(MAX_FAILURES):
            assert post(api, "/v1/auth/password/forgot", {"email": address}).status == 202
        held = post(api, "/v1/auth/confirm/resend", {"email": address})  # the same count
        assert held.status == 429 and held.error["code"] == "rate_limited"
        assert 0 < int(held.headers["retry-after"]) <= 900


def test_wrong_reset_codes_are_limited(api: Any, outbox: Path) -> None:
    address = email()
    signup(api, address)
    post(api, "/v1/auth/password/forgot", {"email": address})
    code = code_in(mails(outbox, address)[0])
    wrong = "000000" if code != "000000" else "111111"
    body = {"email": address, "code": wrong, "new_password": NEW_PASSWORD}
    for _ in range(MAX_FAILURES):
        assert post(api, "/v1/auth/password/reset", body).status == 401
    held = post(api, "/v1/auth/password/reset", {**body, "code": code})
    assert held.status == 429 and held.error["code"] == "rate_limited"


# --- change password ---------------------------------------------------------------------------


def test_change_password_ends_every_session(api: Any) -> None:
    address = email()
    user_id = signup(api, address)
    mine, other = login(api, address).body, login(api, address).body
    body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    r = post(api, "/v1/auth/password/change", body, user_id=user_id, token=mine["access_token"])
    assert r.status == 204, r.body
    assert refresh(api, other["refresh_token"]).status == 401
    assert refresh(api, mine["refresh_token"]).status == 401  # the caller's too: it signs in again
    assert login(api, address).status == 401 and login(api, address, NEW_PASSWORD).status == 200
    [(_, outcome, details)] = [e for e in audited(user_id) if e[0] == "auth.password_change"]
    assert (outcome, details) == ("success", {"sessions": "all_ended"})
    stored = all_items()
    assert NEW_PASSWORD not in stored and PASSWORD not in stored


def test_change_password_refusals(api: Any) -> None:
    address = email()
    user_id = signup(api, address)
    token = login(api, address).body["access_token"]

    def change(current: str, new: str) -> Response:
        body = {"current_password": current, "new_password": new}
        return post(api, "/v1/auth/password/change", body, user_id=user_id, token=token)

    wrong = change("Not-The-Passw0rd!", NEW_PASSWORD)
    assert wrong.status == 403 and wrong.error["code"] == "wrong_password"
    weak = change(PASSWORD, "short")
    assert (
        weak.status == 422 and weak.error["code"] == "weak_password" and weak.error["field"] == "new_password"
    )
    missing = post(
        api, "/v1/auth/password/change", {"new_password": NEW_PASSWORD}, user_id=user_id, token=token
    )
    assert missing.status == 422 and missing.error["code"] == "invalid_input"
    for _ in range(MAX_FAILURES - 1):  # wrong current passwords count as failed sign-ins
        change("Not-The-Passw0rd!", NEW_PASSWORD)
    locked = change(PASSWORD, NEW_PASSWORD)
    assert locked.status == 429 and login(api, address).status == 429


# --- resend the sign-up code -------------------------------------------------------------------


def test_resend_answers_alike_and_mails_only_a_waiting_account(
    api: Any, outbox: Path, pool: identity.Pool
) -> None:
    waiting, confirmed, unknown = email(), email(), email()
    client("cognito-idp").sign_up(
        ClientId=pool.client_id,
        Username=waiting,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": waiting}],
    )
    signup(api, confirmed)  # confirmed at once (the local stack's setting)
    for address in (waiting, confirmed, unknown):
        r = post(api, "/v1/auth/confirm/resend", {"email": address})
        assert r.status == 202 and r.body is None, (address, r.body)
    [message] = mails(outbox, waiting)
    assert message["kind"] == "signup_confirmation"
    code = code_in(message)
    wrong = post(
        api, "/v1/auth/confirm", {"email": waiting, "code": "000000" if code != "000000" else "111111"}
    )
    assert wrong.status == 401 and wrong.error["code"] == "invalid_code"
    assert post(api, "/v1/auth/confirm", {"email": waiting, "code": code}).status == 204
    assert login(api, waiting).status == 200
    assert not mails(outbox, confirmed) and not mails(outbox, unknown)
    actions = [e[:2] for e in audited(email_subject(waiting))]
    assert ("auth.confirm_resend", "success") in actions and ("auth.confirm", "failure") in actions
    bad = post(api, "/v1/auth/confirm/resend", {"email": "nope"})
    assert bad.status == 422 and bad.error["code"] == "invalid_input"


# --- logout ------------------------------------------------------------------------------------


def test_logout_revokes_the_refresh_token(api: Any) -> None:
    address = email()
    user_id = signup(api, address)
    mine, other = login(api, address).body, login(api, address).body
    r = post(api, "/v1/auth/logout", {"refresh_token": mine["refresh_token"]})
    assert r.status == 204, r.body
    assert refresh(api, mine["refresh_token"]).status == 401
    assert refresh(api, other["refresh_token"]).status == 200  # another session lives on
    again = post(api, "/v1/auth/logout", {"refresh_token": mine["refresh_token"]})
    assert again.status == 204  # nothing left to end
    events = [e for e in audited(user_id) if e[0] == "auth.logout"]
    assert events == [("auth.logout", "success", {"scope": "this_session"})]
    assert mine["refresh_token"] not in all_items()


def test_logout_everywhere_ends_every_session(api: Any) -> None:
    address = email()
    user_id = signup(api, address)
    mine, other = login(api, address).body, login(api, address).body
    r = post(api, "/v1/auth/logout", {"refresh_token": mine["refresh_token"], "everywhere": True})
    assert r.status == 204, r.body
    assert refresh(api, other["refresh_token"]).status == 401
    assert refresh(api, mine["refresh_token"]).status == 401
    assert ("auth.logout", "success", {"scope": "everywhere"}) in audited(user_id)
    ended = post(api, "/v1/auth/logout", {"refresh_token": mine["refresh_token"], "everywhere": True})
    assert ended.status == 401 and ended.error["code"] == "unauthenticated"


def test_logout_without_a_token_is_422(api: Any) -> None:
    r = post(api, "/v1/auth/logout", {})
    assert r.status == 422 and r.error["field"] == "refresh_token"
    r = post(api, "/v1/auth/logout", {"refresh_token": "x", "everywhere": "sometimes"})
    assert r.status == 422 and r.error["code"] == "invalid_input"


# --- TOTP off ----------------------------------------------------------------------------------


def with_totp(api: Any, address: str) -> tuple[str, str]:
    user_id = signup(api, address)
    token = login(api, address).body["access_token"]
    assert post(api, "/v1/auth/mfa/setup", user_id=user_id, token=token).status == 200
    assert post(api, "/v1/auth/mfa/enable", {"code": "123456"}, user_id=user_id, token=token).status == 200
    return user_id, token


def test_mfa_off_with_a_current_code(api: Any) -> None:
    """moto accepts any code unless told to check (MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP)."""
    address = email()
    user_id, token = with_totp(api, address)
    r, _ = call(api, "DELETE", "/v1/auth/mfa", {"code": "123456"}, user_id=user_id, token=token)
    assert r.status == 204, r.body
    assert wiring.users().get_user(user_id).mfa_enabled is False  # type: ignore[union-attr]
    assert "access_token" in login(api, address).body  # no challenge any more
    assert ("auth.mfa_disable", "success", {}) in audited(user_id)


def test_mfa_off_with_a_wrong_code_is_refused(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    address = email()
    user_id, token = with_totp(api, address)
    monkeypatch.setenv("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")  # moto checks codes now
    r, _ = call(api, "DELETE", "/v1/auth/mfa", {"code": "000000"}, user_id=user_id, token=token)
    assert r.status == 422 and r.error["code"] == "invalid_code", r.body
    assert wiring.users().get_user(user_id).mfa_enabled is True  # type: ignore[union-attr]
    assert ("auth.mfa_disable", "failure", {"reason": "invalid_code"}) in audited(user_id)
    bad, _ = call(api, "DELETE", "/v1/auth/mfa", {"code": "12"}, user_id=user_id, token=token)
    assert bad.status == 422 and bad.error["code"] == "invalid_input"


# --- the refresh cookie --------------------------------------------------------------------------


def cookies_set(raw: dict[str, Any]) -> list[str]:
    multi = {k.lower(): v for k, v in (raw.get("multiValueHeaders") or {}).items()}
    single = {k.lower(): v for k, v in raw["headers"].items()}
    return list(multi.get("set-cookie") or ([single["set-cookie"]] if "set-cookie" in single else []))


def test_cookie_mode_refresh_and_logout(api: Any) -> None:
    address = email()
    signup(api, address)
    r, raw = call(
        api, "POST", "/v1/auth/login", {"email": address, "password": PASSWORD, "refresh_cookie": True}
    )
    assert r.status == 200 and "refresh_token" not in r.body and r.body["access_token"]
    cookies = cookies_set(raw)
    assert len(cookies) == 2
    token = cookies[0].split(";")[0].split("=", 1)[1]
    for cookie, route in zip(cookies, ("refresh", "logout"), strict=True):
        assert cookie.startswith(f"nija_refresh={token}; Path=/test/v1/auth/{route}; Max-Age=2592000")
        assert {"HttpOnly", "Secure", "SameSite=Strict"} <= {p.strip() for p in cookie.split(";")}

    jar = {"Cookie": f"nija_refresh={token}"}
    own = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"  # the sample events' host
    for origin in (WEB, own):
        ok = post(api, "/v1/auth/refresh", {}, headers={**jar, "Origin": origin})
        assert ok.status == 200 and ok.body["access_token"] and "refresh_token" not in ok.body, ok.body
    for headers in ({**jar, "Origin": "https://evil.example.com"}, jar):
        refused = post(api, "/v1/auth/refresh", {}, headers=headers)
        assert refused.status == 403 and refused.error["code"] == "origin_refused", refused.body
    assert (
        post(api, "/v1/auth/logout", {}, headers={**jar, "Origin": "https://evil.example.com"}).status == 403
    )
    assert post(api, "/v1/auth/refresh", {}).status == 422  # neither a token nor the cookie

    out, raw = call(api, "POST", "/v1/auth/logout", {}, headers={**jar, "Origin": WEB})
    assert out.status == 204
    assert all("Max-Age=0" in c and c.startswith("nija_refresh=;") for c in cookies_set(raw))
    assert len(cookies_set(raw)) == 2
    assert post(api, "/v1/auth/refresh", {}, headers={**jar, "Origin": WEB}).status == 401


def test_a_body_token_can_move_into_the_cookie(api: Any) -> None:
    address = email()
    signup(api, address)
    token = login(api, address).body["refresh_token"]
    r, raw = call(api, "POST", "/v1/auth/refresh", {"refresh_token": token, "refresh_cookie": True})
    assert r.status == 200 and "refresh_token" not in r.body
    assert all(c.startswith(f"nija_refresh={token};") for c in cookies_set(raw))
    native = refresh(api, token)
    assert native.status == 200 and not cookies_set(
        call(api, "POST", "/v1/auth/refresh", {"refresh_token": token})[1]
    )
    assert get_settings().cors_origins == (WEB,)
