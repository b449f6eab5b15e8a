"""Accounts through the dashboard_api and admin_api handlers on moto: sign-up, sign-in, lockout,
refresh, TOTP, profile and tier changes; Cognito, API Gateway keys and DynamoDB are moto's."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client
from nija.config import get_settings
from nija.domain.lockout import MAX_FAILURES
from nija.local import identity

PASSWORD = "Sample-Passw0rd!"
CANARY = "Canary-Passw0rd-7f3a!"  # a password that must never be stored or echoed


@pytest.fixture
def admin_api(pool: identity.Pool, api: Any) -> Any:
    return api("admin_api")


def email() -> str:
    return f"trader-{uuid.uuid4().hex[:10]}@example.com"


def with_body(event: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {**event, "body": json.dumps(body)}


def signup(dashboard: Any, address: str, password: str = PASSWORD) -> Any:
    event = dashboard.event("auth_signup", email=address)
    return dashboard.invoke(with_body(event, email=address, password=password))


def login(dashboard: Any, address: str, password: str = PASSWORD) -> Any:
    event = dashboard.event("auth_login_user", email=address, password="x")
    return dashboard.invoke(with_body(event, email=address, password=password))


def all_items() -> str:
    """Every item in every table, as text: for checks that a secret was never written."""
    ddb = client("dynamodb")
    cat = get_settings().catalogue
    return json.dumps([ddb.scan(TableName=t.name)["Items"] for t in (cat.state_table, cat.audit_table)])


def test_signup_makes_pool_user_and_profile_then_login_works(dashboard: Any) -> None:
    address = email()
    r = signup(dashboard, address)
    assert r.status == 201, r.body
    user_id = r.body["user_id"]
    user = wiring.users().get_user(user_id)
    assert user is not None and user.tier.value == "basic" and user.status.value == "active"
    assert client("apigateway").get_api_keys()["items"] == []  # no API key per user: no 10,000 cap

    tokens = login(dashboard, address)
    assert tokens.status == 200, tokens.body
    assert (
        tokens.body["token_type"] == "Bearer" and tokens.body["access_token"] and tokens.body["refresh_token"]
    )

    me = dashboard("me", user_id=user_id)
    assert me.status == 200
    assert me.body | {"created_at": None} == {
        "user_id": user_id,
        "email": address,
        "tier": "basic",
        "status": "active",
        "role": "user",
        "mfa_enabled": False,
        "requests_per_minute": 60,
        "trading_disabled_reason": None,
        "created_at": None,
        "permissions": {  # no admin restricted the new user
            "trading_enabled": True,
            "allowed_brokers": None,
            "allowed_symbols": None,
            "max_order_value": None,
            "max_position_value": None,
        },
    }
    events = wiring.audit_records().events_for(user_id)
    assert [(e.action, e.outcome.value) for e in events] == [
        ("auth.login", "success"),
        ("auth.signup", "success"),
    ]


@pytest.mark.parametrize(
    ("password", "rule"),
    [
        ("Short-1!", "min_length"),
        ("alllowercase-1!", "uppercase"),
        ("ALLUPPERCASE-1!", "lowercase"),
        ("No-Digits-Here!", "digit"),
        ("NoSymbols12345", "symbol"),
    ],
)
def test_a_weak_password_is_422_naming_the_rule_and_creates_nothing(
    dashboard: Any, pool: identity.Pool, password: str, rule: str
) -> None:
    address = email()
    r = signup(dashboard, address, password)
    assert r.status == 422
    assert r.error["code"] == "weak_password" and r.error["field"] == "password"
    assert rule in r.error["message"] and password not in json.dumps(r.body)
    users = client("cognito-idp").list_users(UserPoolId=pool.pool_id)["Users"]
    assert address not in json.dumps(users)


def test_a_taken_email_is_409_and_the_first_account_is_untouched(dashboard: Any) -> None:
    address = email()
    first = signup(dashboard, address)
    again = signup(dashboard, address, "Another-Passw0rd!")
    assert again.status == 409 and again.error["code"] == "email_taken"
    assert login(dashboard, address).status == 200
    assert wiring.users().get_user(first.body["user_id"]) is not None


def test_a_failed_profile_write_undoes_the_pool_user(dashboard: Any, pool: identity.Pool) -> None:
    """Nothing half-made: the profile write fails for real (the table is gone), so the pool user
    made before it is removed again."""
    address = email()
    client("dynamodb").delete_table(TableName=get_settings().catalogue.state_table.name)
    r = signup(dashboard, address)
    assert r.status >= 500
    assert address not in json.dumps(client("cognito-idp").list_users(UserPoolId=pool.pool_id)["Users"])


def test_five_failures_lock_the_account_for_15_minutes(dashboard: Any) -> None:
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    for _ in range(MAX_FAILURES):
        r = login(dashboard, address, CANARY)
        assert r.status == 401 and r.error["code"] == "unauthenticated"
    locked = login(dashboard, address)  # even the right password is refused now
    assert locked.status == 429 and locked.error["code"] == "rate_limited"
    assert 0 < int(locked.headers["retry-after"]) <= 900

    guard_subject = wiring.accounts()  # the attempts are audited under the hashed sign-in name
    from nija.logic.accounts import email_subject

    attempts = wiring.audit_records().events_for(email_subject(address))
    outcomes = [(e.action, e.outcome.value, e.details.get("reason")) for e in attempts]
    assert outcomes.count(("auth.login", "failure", "unauthenticated")) == MAX_FAILURES
    assert ("auth.login", "refused", "locked") in outcomes
    assert all(e.source_ip == "203.0.113.24" for e in attempts)
    assert guard_subject.profile(user_id).status.value == "active"
    assert CANARY not in all_items()


def test_a_lockout_is_per_account(dashboard: Any) -> None:
    victim, other = email(), email()
    signup(dashboard, victim)
    signup(dashboard, other)
    for _ in range(MAX_FAILURES):
        login(dashboard, victim, CANARY)
    assert login(dashboard, victim).status == 429
    assert login(dashboard, other).status == 200


def test_unknown_email_and_wrong_password_look_the_same(dashboard: Any) -> None:
    address = email()
    signup(dashboard, address)
    wrong = login(dashboard, address, CANARY)
    unknown = login(dashboard, email(), CANARY)
    assert (wrong.status, wrong.body) == (unknown.status, unknown.body)


def test_refresh_gives_new_tokens(dashboard: Any) -> None:
    address = email()
    signup(dashboard, address)
    refresh_token = login(dashboard, address).body["refresh_token"]
    r = dashboard("auth_refresh", refresh_token=refresh_token)
    assert r.status == 200 and r.body["access_token"] and r.body["id_token"]
    bad = dashboard("auth_refresh", refresh_token="not-a-refresh-token")
    assert bad.status == 401


def test_a_gone_users_refresh_token_is_401_not_503(dashboard: Any) -> None:
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    tokens = login(dashboard, address).body
    erased = dashboard.invoke(
        with_body(dashboard.event("me_delete", user_id=user_id, email=address), confirm=address)
    )
    assert erased.status == 204, erased.body
    r = dashboard("auth_refresh", refresh_token=tokens["refresh_token"])
    assert r.status == 401 and r.body["error"]["code"] == "unauthenticated", r.body


def refused_refresh(dashboard: Any, refresh_token: str) -> None:
    r = dashboard("auth_refresh", refresh_token=refresh_token)
    assert r.status == 401 and r.body["error"]["code"] == "unauthenticated", r.body
    assert "refresh token" in r.body["error"]["message"], r.body


def test_a_deleted_users_refresh_token_is_401_even_once_the_address_signs_up_again(
    dashboard: Any, pool: identity.Pool
) -> None:
    """A real pool user, a real refresh token, the user deleted from the pool: Cognito answers
    NotAuthorizedException (moto failed: 503). An account made again under the same address is
    another user: the old token must not reach it (moto gave the new account's tokens)."""
    address = email()
    first = signup(dashboard, address).body["user_id"]
    old = login(dashboard, address).body["refresh_token"]
    client("cognito-idp").admin_delete_user(UserPoolId=pool.pool_id, Username=address)
    refused_refresh(dashboard, old)
    again = login(dashboard, address)
    assert again.status == 401 and again.body["error"]["message"] == "incorrect email or password"

    assert signup(dashboard, address).body["user_id"] != first
    refused_refresh(dashboard, old)
    assert (
        dashboard("auth_refresh", refresh_token=login(dashboard, address).body["refresh_token"]).status == 200
    )


def test_a_disabled_users_refresh_token_is_401(dashboard: Any, pool: identity.Pool) -> None:
    """Disabled in the pool directly (no global sign-out): Cognito refuses, moto gave tokens."""
    address = email()
    signup(dashboard, address)
    refresh_token = login(dashboard, address).body["refresh_token"]
    client("cognito-idp").admin_disable_user(UserPoolId=pool.pool_id, Username=address)
    refused_refresh(dashboard, refresh_token)


def with_totp(dashboard: Any, address: str) -> str:
    """A signed-up user with TOTP on; returns the session of a sign-in's MFA challenge."""
    user_id = signup(dashboard, address).body["user_id"]
    token = login(dashboard, address).body["access_token"]
    assert dashboard("auth_mfa_setup", user_id=user_id, token=token).status == 200
    assert dashboard("auth_mfa_enable", user_id=user_id, token=token, code="123456").status == 200
    challenge = login(dashboard, address).body
    assert challenge["challenge"] == "SOFTWARE_TOKEN_MFA", challenge
    return str(challenge["session"])


def test_mfa_verify_with_a_stale_or_foreign_session_is_401(dashboard: Any, pool: identity.Pool) -> None:
    alice, bob = email(), email()
    session = with_totp(dashboard, alice)
    signup(dashboard, bob)
    stale = dashboard("auth_mfa_verify", email=alice, session="s" * 40, code="123456")
    assert stale.status == 401 and "session" in stale.body["error"]["message"], stale.body
    # Alice's session (her password, her code) with Bob's address: moto signed Bob in.
    foreign = dashboard("auth_mfa_verify", email=bob, session=session, code="123456")
    assert foreign.status == 401 and "session" in foreign.body["error"]["message"], foreign.body
    client("cognito-idp").admin_delete_user(UserPoolId=pool.pool_id, Username=alice)
    gone = dashboard("auth_mfa_verify", email=alice, session=session, code="123456")
    assert gone.status == 401 and "session" in gone.body["error"]["message"], gone.body


def test_confirm_of_an_unknown_or_confirmed_account(dashboard: Any) -> None:
    """An unknown address answers as a wrong code (no account enumeration); an account confirmed
    already (the local stack confirms at sign-up) is a 409, as Cognito's NotAuthorizedException."""
    unknown = dashboard("auth_confirm", email=email())
    assert unknown.status == 401 and unknown.body["error"]["code"] == "invalid_code", unknown.body
    address = email()
    signup(dashboard, address)
    again = dashboard("auth_confirm", email=address)
    assert again.status == 409 and again.body["error"]["code"] == "already_confirmed", again.body


def test_mfa_setup_with_a_signed_out_token_is_401(dashboard: Any, pool: identity.Pool) -> None:
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    token = login(dashboard, address).body["access_token"]
    client("cognito-idp").admin_user_global_sign_out(UserPoolId=pool.pool_id, Username=address)
    r = dashboard("auth_mfa_setup", user_id=user_id, token=token)
    assert r.status == 401 and "access token" in r.body["error"]["message"], r.body


def test_tokens_live_as_long_as_the_pool_client_says(dashboard: Any) -> None:
    """15 minutes, as the deployed pool's client (the catalogue's figures, which the CDK app gives
    it): moto said an hour. expires_in is the access token's lifetime."""
    import jwt

    cat = get_settings().catalogue
    access, id_ = cat.access_token_minutes * 60, cat.id_token_minutes * 60
    address = email()
    signup(dashboard, address)
    tokens = login(dashboard, address).body
    refreshed = dashboard("auth_refresh", refresh_token=tokens["refresh_token"]).body
    assert tokens["expires_in"] == refreshed["expires_in"] == access == 900
    for token, lifetime in (
        (tokens["access_token"], access),
        (tokens["id_token"], id_),
        (refreshed["access_token"], access),
        (refreshed["id_token"], id_),
    ):
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["exp"] - claims["iat"] == lifetime


def test_a_refresh_token_is_refused_once_its_days_are_over(
    dashboard: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool client's refresh token validity (the catalogue's 30 days): moto's never expired.
    The emulator's clock is moved, nothing sleeps."""
    from nija.local import moto_cognito

    lifetime = get_settings().catalogue.refresh_token_days * 86_400
    address = email()
    signup(dashboard, address)
    refresh_token = login(dashboard, address).body["refresh_token"]
    issued = moto_cognito.clock()  # at or just after the token's issue
    monkeypatch.setattr(moto_cognito, "clock", lambda: issued + lifetime - 60)
    assert dashboard("auth_refresh", refresh_token=refresh_token).status == 200
    monkeypatch.setattr(moto_cognito, "clock", lambda: issued + lifetime + 1)
    refused_refresh(dashboard, refresh_token)


def test_totp_setup_enable_and_the_login_challenge(dashboard: Any) -> None:
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    token = login(dashboard, address).body["access_token"]
    setup = dashboard("auth_mfa_setup", user_id=user_id, token=token)
    assert setup.status == 200, setup.body
    assert setup.body["secret_code"] and setup.body["otpauth_uri"].startswith("otpauth://totp/NIJA%3A")

    enabled = dashboard("auth_mfa_enable", user_id=user_id, token=token, code="123456")
    assert enabled.status == 200, enabled.body
    assert enabled.body["mfa_enabled"] is True

    challenge = login(dashboard, address)
    assert challenge.status == 200
    assert challenge.body["challenge"] == "SOFTWARE_TOKEN_MFA" and challenge.body["session"]
    assert "access_token" not in challenge.body
    tokens = dashboard("auth_mfa_verify", email=address, session=challenge.body["session"], code="123456")
    assert tokens.status == 200, tokens.body
    assert tokens.body["access_token"]


def test_admin_changes_a_tier(dashboard: Any, admin_api: Any, audit_writer: Callable[[], None]) -> None:
    user_id = signup(dashboard, email()).body["user_id"]
    admin_id = signup(dashboard, email()).body["user_id"]
    refused = admin_api("users_tier", user_id=admin_id, target_id=user_id, role="user")
    assert refused.status == 403 and refused.error["code"] == "forbidden"

    r = admin_api("users_tier", user_id=admin_id, target_id=user_id, role="admin")
    assert r.status == 200, r.body
    assert r.body["tier"] == "pro" and r.body["requests_per_minute"] == 300
    assert wiring.users().get_user(user_id).tier.value == "pro"  # type: ignore[union-attr]
    audit_writer()  # the change's record, stored with it, reaches the chain through the outbox
    change = wiring.audit_records().events_for(user_id)[0]
    assert (change.action, change.actor, change.details) == (
        "admin.tier_change",
        admin_id,
        {"old": "basic", "new": "pro"},
    )

    missing = admin_api("users_tier", user_id=admin_id, target_id="nobody", role="admin")
    assert missing.status == 404


def test_bad_bodies_are_clear_errors(dashboard: Any) -> None:
    event = dashboard.event("auth_signup", email="x@example.com")
    cases: list[tuple[Any, int]] = [
        ("{not json", 400),
        (json.dumps({"email": "not-an-email", "password": PASSWORD}), 422),
        (json.dumps({"email": "x@example.com"}), 422),
        (json.dumps({"email": "x@example.com", "password": PASSWORD, "admin": True}), 422),
        (json.dumps({"email": "x@example.com", "password": "A" * 100_000}), 413),
    ]
    for body, status in cases:
        r = dashboard.invoke({**event, "body": body})
        assert r.status == status, (body[:40], r.body)
        assert set(r.body["error"]) >= {"code", "message"}
