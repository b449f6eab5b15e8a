"""Admin console routes through the admin_api handler on moto: the user list (paged, filtered by
status and tier), disable and enable (profile, Cognito, audit; a disabled user's orders refused),
and the console page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from test_accounts import email, login, signup

from nija import wiring
from nija.domain.models import Tier


@pytest.fixture
def admin_api(pool: Any, api: Any) -> Any:
    return api("admin_api")


def test_the_user_list_pages_and_filters(dashboard: Any, admin_api: Any) -> None:
    ids = [signup(dashboard, email()).body["user_id"] for _ in range(5)]
    admin_id = ids[0]
    accounts = wiring.accounts()
    accounts.change_tier(admin_id, ids[1], Tier.PRO)
    accounts.change_tier(admin_id, ids[2], Tier.PRO)

    refused = admin_api("users_list", user_id=ids[3], role="user", limit="10", next_token="")
    assert refused.status == 403

    seen: list[str] = []
    token = ""
    for _ in range(5):
        page = admin_api("users_list", user_id=admin_id, role="admin", limit="2", next_token=token)
        assert page.status == 200, page.body
        assert len(page.body["items"]) <= 2
        seen += [u["user_id"] for u in page.body["items"]]
        token = page.body.get("next_token") or ""
        if not token:
            break
    assert seen == list(reversed(ids))  # newest first, each once

    pro = admin_api(
        "users_list_filtered", user_id=admin_id, role="admin", status="active", tier="pro", limit="50"
    )
    assert sorted(u["user_id"] for u in pro.body["items"]) == sorted(ids[1:3])
    bad = admin_api(
        "users_list_filtered", user_id=admin_id, role="admin", status="asleep", tier="pro", limit="50"
    )
    assert bad.status == 422 and bad.error["field"] == "status"
    forged = admin_api("users_list", user_id=admin_id, role="admin", limit="2", next_token="eyJwayI6IDF9")
    assert forged.status == 422 and forged.error["field"] == "next_token"


def test_a_disabled_user_cannot_sign_in_or_trade_until_enabled(
    dashboard: Any,
    admin_api: Any,
    audit_writer: Callable[[], None],
) -> None:
    address = email()
    user_id = signup(dashboard, address).body["user_id"]
    admin_id = signup(dashboard, email()).body["user_id"]
    assert login(dashboard, address).status == 200
    from nija.local import identity

    identity.connect_paper(user_id)  # while active: a disabled account can store no keys

    off = admin_api("users_disable", user_id=admin_id, role="admin", target_id=user_id)
    assert off.status == 200 and off.body["status"] == "disabled"
    assert login(dashboard, address).status in (401, 403)
    profile = wiring.users().get_user(user_id)
    assert profile is not None and profile.status.value == "disabled"
    # Every check that decides on trading reads the profile: the pre-trade guard refuses.
    from nija.domain.models import BrokerName, OrderIntent, OrderType, Side
    from nija.domain.orders import Order

    order = Order.from_intent(
        OrderIntent(
            intent_id="int_disabled",
            client_order_id="nj_disabled",
            user_id=user_id,
            broker=BrokerName.PAPER,
            symbol="BTC/USD",
            side=Side.BUY,
            type=OrderType.MARKET,
            quantity="0.001",  # type: ignore[arg-type]
            source="manual:disabled",
        )
    )
    refusal = wiring.guard()(order, wiring.broker(BrokerName.PAPER).account(user_id))
    assert refusal is not None and refusal.code == "trading_disabled"

    on = admin_api("users_enable", user_id=admin_id, role="admin", target_id=user_id)
    assert on.status == 200 and on.body["status"] == "active"
    assert login(dashboard, address).status == 200
    audit_writer()  # each change's record, stored with it, reaches the chain through the outbox
    actions = [
        e.action for e in wiring.audit_records().events_for(user_id) if e.action.startswith("admin.user_")
    ]
    assert sorted(actions) == ["admin.user_disable", "admin.user_enable"]

    refused = admin_api("users_disable", user_id=user_id, role="user", target_id=admin_id)
    assert refused.status == 403
    assert admin_api("users_disable", user_id=admin_id, role="admin", target_id="nobody").status == 404


def test_the_console_page_is_served_without_data(admin_api: Any) -> None:
    page = admin_api.fn(admin_api.event("console"))
    assert page["statusCode"] == 200
    assert page["headers"]["content-type"].startswith("text/html")
    assert "NIJA admin console" in page["body"] and '<script src="console.js">' in page["body"]
    script = admin_api.fn(admin_api.event("console_script"))  # public too: the page needs it signed out
    assert script["statusCode"] == 200 and "/admin/users" in script["body"]


def test_an_admin_without_totp_is_refused_and_told_how_to_turn_it_on(admin_api: Any) -> None:
    """The authorizer says whether an admin's account has TOTP on (the context's `mfa`)."""
    event = admin_api.event("health", user_id="ad000000-0000-4000-8000-0000000000ad", role="admin")
    event["requestContext"]["authorizer"]["mfa"] = "false"
    r = admin_api.invoke(event)
    assert r.status == 403 and r.body["error"]["code"] == "mfa_required", r.body
    assert "/v1/auth/mfa/setup" in r.body["error"]["message"]


def test_the_stages_admin_networks_only(admin_api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from nija.config import reset_settings

    admin = "ad000000-0000-4000-8000-0000000000ad"
    event = admin_api.event("health", user_id=admin, role="admin")
    source = event["requestContext"]["identity"]["sourceIp"]
    monkeypatch.setenv("NIJA_ADMIN_ALLOWED_IPS", "198.51.100.0/24, 2001:db8::/32")
    reset_settings()
    try:
        r = admin_api.invoke(event)
        assert r.status == 403 and r.body["error"]["code"] == "ip_not_allowed", (source, r.body)
        monkeypatch.setenv("NIJA_ADMIN_ALLOWED_IPS", f"198.51.100.0/24,{source}")
        reset_settings()
        assert admin_api.invoke(admin_api.event("health", user_id=admin, role="admin")).status == 200
    finally:
        monkeypatch.delenv("NIJA_ADMIN_ALLOWED_IPS")
        reset_settings()
