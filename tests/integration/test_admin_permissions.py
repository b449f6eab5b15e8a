"""Per-user permissions on moto: GET and PUT /admin/users/{id}/permissions through the admin_api
handler (defaults, replace, validation, 404, 403, the audit record), the user's view on GET /v1/me,
and every refusal code through the real path of an order (the order desk, the queue, the executor's
pre-trade checks on the paper broker)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from test_accounts import email, signup
from test_executor_handler import deliver, fund, place, receive, stored

from nija import wiring
from nija.domain.errors import Conflict
from nija.domain.models import BrokerName, Principal
from nija.domain.orders import OrderStatus
from nija.domain.permissions import UserPermissions
from nija.logic.orders import OrderRequest

ADMIN = "7c1e4b2a-3d5f-4a6b-8c9d-0e1f2a3b4c55"
SET = {
    "trading_enabled": True,
    "allowed_brokers": ["paper"],
    "allowed_symbols": ["BTC/USD", "ETH/USD"],
    "max_order_value": "5000",
    "max_position_value": "20000",
}


@pytest.fixture
def admin_api(pool: Any, api: Any) -> Any:
    return api("admin_api")


def put(admin_api: Any, admin_id: str, target: str, body: Any, role: str = "admin") -> Any:
    event = admin_api.event("users_permissions_put", user_id=admin_id, role=role, target_id=target)
    return admin_api.invoke({**event, "body": body if isinstance(body, str) else json.dumps(body)})


def test_an_admin_reads_and_replaces_a_users_permissions_and_the_change_is_audited(
    dashboard: Any, admin_api: Any, audit_writer: Callable[[], None]
) -> None:
    user = signup(dashboard, email()).body["user_id"]
    admin = signup(dashboard, email()).body["user_id"]

    default = admin_api("users_permissions_get", user_id=admin, role="admin", target_id=user)
    assert default.status == 200, default.body
    assert default.body == {
        "trading_enabled": True,
        "allowed_brokers": None,
        "allowed_symbols": None,
        "max_order_value": None,
        "max_position_value": None,
        "updated_by": None,
        "updated_at": None,
    }
    me = dashboard("me", user_id=user)
    assert me.status == 200 and me.body["permissions"] == {
        k: v for k, v in default.body.items() if not k.startswith("updated_")
    }

    sample = admin_api("users_permissions_put", user_id=admin, role="admin", target_id=user)
    assert sample.status == 200, sample.body
    assert {k: sample.body[k] for k in SET} == SET and sample.body["updated_by"] == admin
    assert sample.body["updated_at"]
    read = admin_api("users_permissions_get", user_id=admin, role="admin", target_id=user)
    assert read.body == sample.body
    assert dashboard("me", user_id=user).body["permissions"] == SET

    # PUT replaces the whole set: what it leaves out is back to no restriction
    off = put(admin_api, admin, user, {"trading_enabled": False})
    assert off.status == 200, off.body
    assert dashboard("me", user_id=user).body["permissions"] == {
        "trading_enabled": False,
        "allowed_brokers": None,
        "allowed_symbols": None,
        "max_order_value": None,
        "max_position_value": None,
    }

    audit_writer()  # each change's record, written with it, reaches the user's chain
    changes = [e for e in wiring.audit_records().events_for(user) if e.action == "admin.permissions_change"]
    assert len(changes) == 2
    last, first = changes  # newest first
    assert (first.actor, first.subject, first.outcome.value) == (admin, user, "success")
    assert first.details["changed"] == "allowed_brokers,allowed_symbols,max_order_value,max_position_value"
    assert json.loads(first.details["before"])["allowed_brokers"] is None
    assert json.loads(first.details["after"]) == SET
    assert last.details["changed"] == (
        "allowed_brokers,allowed_symbols,max_order_value,max_position_value,trading_enabled"
    )
    assert json.loads(last.details["before"]) == SET
    assert json.loads(last.details["after"])["trading_enabled"] is False


def test_only_admins_and_only_known_users(dashboard: Any, admin_api: Any) -> None:
    user = signup(dashboard, email()).body["user_id"]
    other = signup(dashboard, email()).body["user_id"]
    for case in ("users_permissions_get", "users_permissions_put"):
        refused = admin_api(case, user_id=other, role="user", target_id=user)
        assert refused.status == 403 and refused.error["code"] == "forbidden"
        own = admin_api(case, user_id=user, role="user", target_id=user)  # not even one's own
        assert own.status == 403
        missing = admin_api(case, user_id=other, role="admin", target_id="nobody")
        assert missing.status == 404 and missing.error["code"] == "not_found"
    assert wiring.permissions_store().get(user).updated_by is None  # nothing was written


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"allowed_brokers": ["mtgox"]}, "allowed_brokers.0"),
        ({"allowed_brokers": ["paper", "paper"]}, "allowed_brokers"),
        ({"allowed_symbols": ["btc-usd"]}, "allowed_symbols"),
        ({"allowed_symbols": ["BTC/USDT"], "allowed_brokers": ["paper"]}, "allowed_symbols"),
        ({"allowed_symbols": ["BTC/USD"] * 2}, "allowed_symbols"),
        ({"allowed_symbols": [f"X{i}/USD" for i in range(51)]}, "allowed_symbols"),
        ({"max_order_value": "0"}, "max_order_value"),
        ({"max_position_value": -5}, "max_position_value"),
        ({"max_order_value": "lots"}, "max_order_value"),
        ({"trading_enabled": "maybe"}, "trading_enabled"),
        ({"max_leverage": 3}, "max_leverage"),
    ],
)
def test_invalid_permissions_are_refused_naming_the_field(
    dashboard: Any, admin_api: Any, body: dict[str, Any], field: str
) -> None:
    user = signup(dashboard, email()).body["user_id"]
    r = put(admin_api, ADMIN, user, body)
    assert r.status == 422, r.body
    assert r.error["code"] == "invalid_input" and r.error["field"] == field
    assert wiring.permissions_store().get(user).updated_by is None


def test_a_body_that_is_not_json_is_a_bad_request(dashboard: Any, admin_api: Any) -> None:
    user = signup(dashboard, email()).body["user_id"]
    r = put(admin_api, ADMIN, user, "{not json")
    assert r.status == 400 and r.error["code"] == "malformed_json"


# --- enforcement on the order path --------------------------------------------------------------

ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"
# a limit buy of 0.01 BTC at 100,000 USD: worth 1,000 USD whatever the paper market does
WORTH_1000 = {"type": "limit", "quantity": "0.01", "limit_price": "100000"}


def allow(**fields: Any) -> None:
    wiring.permissions().put(ADMIN, ALICE, UserPermissions.model_validate(fields))


@pytest.mark.members(ALICE, ADMIN)
@pytest.mark.parametrize(
    ("permissions", "code"),
    [
        ({"trading_enabled": False}, "trading_disabled"),
        ({"allowed_brokers": ["kraken"]}, "broker_not_allowed"),
        ({"allowed_symbols": ["ETH/USD"]}, "symbol_not_allowed"),
        ({"max_order_value": "999.99"}, "order_value_limit"),
        ({"max_order_value": "1000", "max_position_value": "999"}, "position_value_limit"),
    ],
)
def test_a_queued_order_is_refused_by_the_executor_with_the_permissions_code(
    executor: Any, permissions: dict[str, Any], code: str
) -> None:
    """Placed while nothing restricted the user; an admin restricts them before the executor runs."""
    fund(ALICE)
    order = place(ALICE, f"perm-{code}", **WORTH_1000)
    allow(**permissions)
    assert deliver(executor("paper"), receive()) == {"batchItemFailures": []}
    refused = stored(ALICE, order.order_id)
    assert (refused.status, refused.reason_code) == (OrderStatus.REJECTED, code)
    assert refused.reason_message and refused.filled_quantity == 0
    assert wiring.ledger().list_positions(ALICE) == []


@pytest.mark.members(ALICE, ADMIN)
def test_an_order_within_the_permissions_goes_through(executor: Any) -> None:
    fund(ALICE)
    allow(
        allowed_brokers=["paper"],
        allowed_symbols=["BTC/USD"],
        max_order_value="1000",
        max_position_value="1000",
    )
    order = place(ALICE, "perm-ok", **WORTH_1000)  # exactly at both caps: a cap is inclusive
    assert deliver(executor("paper"), receive()) == {"batchItemFailures": []}
    assert stored(ALICE, order.order_id).status is not OrderStatus.REJECTED


@pytest.mark.members(ALICE, ADMIN)
def test_with_trading_off_a_new_order_is_refused_at_once(aws: None) -> None:
    fund(ALICE)
    allow(trading_enabled=False)
    request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side="buy", quantity=Decimal("0.01"))  # type: ignore[arg-type]
    with pytest.raises(Conflict) as refused:
        wiring.order_desk().place(Principal(user_id=ALICE), request, "k-off")
    assert refused.value.code == "trading_disabled"
    assert wiring.orders().list_orders(ALICE, 10, None)[0] == []  # nothing recorded, nothing queued
    assert receive() == []
