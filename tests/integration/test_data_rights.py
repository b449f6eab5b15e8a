"""The user's data rights through the dashboard_api handler on moto: GET /v1/me/export (everything we
hold about the caller, nothing of anyone else's, never a secret) and DELETE /v1/me (secrets, data, API
key and sign-in gone; the audit chain stays, pseudonymised; a retry finishes a half-done erasure)."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError
from kit import an_order, connect_kraken, filled_order

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.dynamo import keys
from nija.config import get_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.models import (
    BrokerName,
    Principal,
    Side,
    UserStatus,
)
from nija.domain.orders import Order, OrderStatus
from nija.domain.risk import RiskSettings
from nija.logic import orders
from nija.logic.data_rights import DELETION_REASON
from nija.logic.orders import OrderRequest
from nija.ports.user_data import BULKY

PASSWORD = "Sample-Passw0rd!"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclasses.dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    canary: str  # the broker secret stored for them: must never come back out


def _with_body(event: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {**event, "body": json.dumps(body)}


def login(dashboard: Any, address: str) -> Any:
    event = dashboard.event("auth_login_user", email=address, password="x")
    return dashboard.invoke(_with_body(event, email=address, password=PASSWORD))


def _order(user: str, n: int) -> Order:
    return an_order(user, f"manual:{n}", created_at=T0 + timedelta(minutes=n))


def put_raw(pk: str, sk: str, **fields: str) -> None:
    client("dynamodb").put_item(
        TableName=get_settings().catalogue.state_table.name,
        Item={"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in fields.items()}},
    )


def member(dashboard: Any) -> Member:
    """A signed-up user with paper keys in the vault, risk settings, a filled order, equity figures,
    an Idempotency-Key, a WebSocket connection and a device (an item kind this module does not name)."""
    address = f"trader-{uuid.uuid4().hex[:10]}@example.com"
    r = dashboard.invoke(
        _with_body(dashboard.event("auth_signup", email=address), email=address, password=PASSWORD)
    )
    assert r.status == 201, r.body
    user_id = r.body["user_id"]
    canary = base64.b64encode(f"canary-secret-{uuid.uuid4().hex}".encode()).decode()
    wiring.vault_service().connect(
        user_id, BrokerName.PAPER, {"api_key": "paper-key-0001", "api_secret": "s"}
    )
    connect_kraken(user_id, api_secret=canary)  # the paper broker keeps no secret; kraken's are sealed
    wiring.risk_store().put_settings(user_id, RiskSettings())
    wiring.risk_store().record_equity(user_id, "paper", Decimal("10100"), T0)
    order = filled_order(user_id, 1, T0)
    wiring.orders().claim_request_key(user_id, "key-1", order.order_id)
    put_raw(f"USER#{user_id}", "EQSNAP#2026-11-01T00:00", equity="10100", at=T0.isoformat())
    put_raw(f"USER#{user_id}", "PNL#2026-10-01T00:00", note="raw")
    connection = f"conn-{uuid.uuid4().hex[:8]}"
    put_raw(f"USER#{user_id}", f"WS#{connection}", user_id=user_id, connection_id=connection)
    put_raw(f"CONN#{connection}", "CONN", user_id=user_id, connection_id=connection)
    put_raw(f"USER#{user_id}", "DEVICE#ExponentPushToken[abc]", platform="ios")
    return Member(user_id, address, canary)


def export(dashboard: Any, m: Member) -> Any:
    return dashboard("me_export", user_id=m.user_id)


def delete(dashboard: Any, m: Member, confirm: str | None = None) -> Any:
    event = dashboard.event("me_delete", user_id=m.user_id, email=m.email)
    return dashboard.invoke(_with_body(event, confirm=confirm or m.email))


def state_items() -> list[dict[str, Any]]:
    ddb = client("dynamodb")
    name = get_settings().catalogue.state_table.name
    items: list[dict[str, Any]] = []
    start: dict[str, Any] | None = None
    while True:
        page = ddb.scan(TableName=name, **({"ExclusiveStartKey": start} if start else {}))
        items += json.loads(json.dumps(page["Items"], default=bytes.hex))  # binary values as text
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def audit_text() -> str:
    ddb = client("dynamodb")
    return json.dumps(ddb.scan(TableName=get_settings().catalogue.audit_table.name)["Items"])


def secret_exists(user_id: str) -> bool:
    try:
        client("secretsmanager").describe_secret(SecretId=get_settings().catalogue.secret_name(user_id))
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        return False
    return True


# --- export --------------------------------------------------------------------------------------


def test_export_holds_the_callers_data_only_and_never_a_secret(dashboard: Any) -> None:
    alice, bob = member(dashboard), member(dashboard)
    request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side=Side.BUY, quantity=Decimal(1))
    placed = orders.place_order(
        Principal(user_id=alice.user_id), request, None, wiring.orders(), wiring.order_queue()
    )
    orders.cancel_order(
        Principal(user_id=alice.user_id), placed.order_id, wiring.orders(), wiring.order_queue()
    )
    # A profile made while each user had an API Gateway key still holds it: never exported.
    client("dynamodb").update_item(
        TableName=get_settings().catalogue.state_table.name,
        Key={"pk": {"S": keys.user_pk(alice.user_id)}, "sk": {"S": keys.PROFILE}},
        UpdateExpression="SET api_key = :v, api_key_id = :i",
        ExpressionAttributeValues={":v": {"S": "old-gateway-key-value"}, ":i": {"S": "old-gateway-key-id"}},
    )
    r = export(dashboard, alice)
    assert r.status == 200, r.body
    assert r.headers["content-disposition"] == f'attachment; filename="nija-export-{alice.user_id}.json"'
    doc = r.body
    assert (doc["format"], doc["user_id"], doc["complete"], doc["truncated"]) == (
        "nija-export/1",
        alice.user_id,
        True,
        [],
    )
    data = doc["data"]
    assert data["profile"]["email"] == alice.email and data["profile"]["tier"] == "basic"
    assert "api_key" not in data["profile"] and "api_key_id" not in data["profile"]
    assert data["risk_settings"]["settings"]["max_open_positions"] == RiskSettings().max_open_positions
    assert data["strategy_settings"] is None  # never saved
    kraken, paper = sorted(data["broker_credentials"], key=lambda c: str(c["broker"]))
    assert (kraken["broker"], kraken["masked_key"]) == ("kraken", "****" + alice.user_id[4:8])
    assert (paper["broker"], paper["masked_key"]) == ("paper", "****0001")
    assert sorted(o["status"] for o in data["orders"]) == ["canceled", "filled"]
    assert [t["trade_id"] for t in data["trades"]] == ["t1"]
    assert [(p["symbol"], p["quantity"]) for p in data["positions"]] == [("BTC/USD", "1")]
    assert [e["equity"] for e in data["equity"]] == ["10100"]
    assert len(data["equity_snapshots"]) == len(data["request_keys"]) == 1
    assert {"note": "raw"} in data["pnl_buckets"]  # beside the fill's bucket, where fills keep one
    assert [c["connection_id"] for c in data["websocket_connections"]]
    assert data["devices"] == [{"platform": "ios"}]
    assert "other" not in data  # an item kind this code does not name would be there, with its key
    assert data["paper_balances"] and data["paper_orders"] == []
    actions = {e["action"] for e in data["audit_events"]}
    # with the order's events still in the outbox when the export began (no audit writer ran)
    assert {"auth.signup", "vault.validate", "vault.store", "orders.place", "orders.cancel"} <= actions
    assert all(e["subject"] == alice.user_id for e in data["audit_events"])
    text = json.dumps(doc)
    assert bob.user_id not in text and bob.email not in text
    assert (
        alice.canary not in text
        and f"kraken-{alice.user_id[:8]}" not in text
        and "paper-key-0001" not in text
    )
    assert "old-gateway-key-value" not in text and "old-gateway-key-id" not in text


def test_an_export_past_its_budget_keeps_the_newest_and_says_so(dashboard: Any) -> None:
    alice = member(dashboard)
    for n in range(2, 12):
        filled_order(alice.user_id, n, T0)
    whole = wiring.data_rights().export(alice.user_id)
    assert whole["complete"] is True and len(whole["data"]["orders"]) == 11
    # Room for everything but half the orders (the first bulky kind) and all the bulky kinds after them.
    later = sum(len(json.dumps(whole["data"][kind])) for kind in BULKY[1:])
    budget = len(json.dumps(whole)) - later - len(json.dumps(whole["data"]["orders"])) // 2
    rights = dataclasses.replace(wiring.data_rights(), budget_bytes=budget)
    doc = rights.export(alice.user_id)
    assert doc["complete"] is False and "orders" in doc["truncated"]
    assert "newest records of orders" in doc["notice"]
    created = [o["created_at"] for o in doc["data"]["orders"]]
    assert 0 < len(created) < 11 and created == sorted(created, reverse=True)
    assert doc["data"]["profile"]["email"] == alice.email  # the small kinds are always whole
    assert len(json.dumps(doc, separators=(",", ":"))) < budget + 1_000  # the budget, and the envelope


def test_export_and_delete_without_a_token_are_401(dashboard: Any) -> None:
    for case in ("me_export_no_auth", "me_delete_no_auth"):
        r = dashboard(case)
        assert r.status == 401, (case, r.body)
        assert r.error["code"] == "unauthenticated"


# --- erasure -------------------------------------------------------------------------------------


def test_delete_removes_everything_but_the_pseudonymous_audit_chain(dashboard: Any) -> None:
    alice, bob = member(dashboard), member(dashboard)
    assert login(dashboard, alice.email).status == 200
    # An order placed and canceled: its audit events wait in the outbox (a partition of their own)
    request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side=Side.BUY, quantity=Decimal(1))
    placed = orders.place_order(
        Principal(user_id=alice.user_id), request, None, wiring.orders(), wiring.order_queue()
    )
    orders.cancel_order(
        Principal(user_id=alice.user_id), placed.order_id, wiring.orders(), wiring.order_queue()
    )

    r = delete(dashboard, alice)
    assert r.status == 204, r.body

    # Nothing in the state table names her: not her id, not her address.
    leftover = [i for i in state_items() if alice.user_id in json.dumps(i) or alice.email in json.dumps(i)]
    assert leftover == []
    assert any(bob.user_id in json.dumps(i) for i in state_items())  # Bob's data is untouched
    assert not secret_exists(alice.user_id) and secret_exists(bob.user_id)
    assert login(dashboard, alice.email).status == 401
    assert login(dashboard, bob.email).status == 200

    # The audit chain stays, ends with the erasure, and holds neither her address nor her keys.
    events = wiring.audit_records().events_for(alice.user_id, limit=1000)
    assert events[0].action == "account.deleted" and events[0].outcome is Outcome.SUCCESS
    assert {"auth.signup", "vault.store", "account.delete"} <= {e.action for e in events}
    # The order's events were still in the outbox (no audit writer ran): they are in, before the end.
    assert [e.action for e in events[1:3]] == ["orders.cancel", "orders.place"]
    text = audit_text()
    assert alice.email not in text and alice.canary not in text
    chain = getattr(wiring.audit_records(), "chain", None)
    if chain is not None:  # the hash chain (nija.domain.audit_chain) where it is in place
        from nija.domain.audit_chain import verify_chain

        records = [record for _, record in chain(alice.user_id, 0, 1000)]
        assert len(records) == len(events)
        assert verify_chain(alice.user_id, records) is None

    # A second DELETE finds no account: 404, and nothing changes.
    again = delete(dashboard, alice)
    assert again.status == 404 and again.error["code"] == "not_found"
    assert len(wiring.audit_records().events_for(alice.user_id, limit=1000)) == len(events)


def test_a_wrong_confirmation_is_422_naming_the_field_and_deletes_nothing(dashboard: Any) -> None:
    alice = member(dashboard)
    r = delete(dashboard, alice, confirm="someone-else@example.com")
    assert r.status == 422
    assert r.error["field"] == "confirm" and r.error["code"] == "confirmation_mismatch"
    event = dashboard.event("me_delete", user_id=alice.user_id, email=alice.email)
    missing = dashboard.invoke({**event, "body": "{}"})
    assert missing.status == 422 and missing.error.get("field") == "confirm"
    assert secret_exists(alice.user_id)
    assert wiring.users().get_user(alice.user_id).trading_disabled_reason is None  # type: ignore[union-attr]


def test_open_orders_refuse_the_erasure_until_they_are_done(dashboard: Any) -> None:
    alice = member(dashboard)
    queued = _order(alice.user_id, 50)
    wiring.orders().create_order(queued)
    r = delete(dashboard, alice)
    assert r.status == 409 and r.error["code"] == "open_orders"
    assert secret_exists(alice.user_id) and wiring.users().get_user(alice.user_id) is not None
    assert wiring.audit_records().events_for(alice.user_id, limit=1)[0].outcome is Outcome.REFUSED

    wiring.orders().request_cancel(queued)  # canceled while queued: it can no longer fill
    assert wiring.orders().get_order(alice.user_id, queued.order_id).status is OrderStatus.CANCELED  # type: ignore[union-attr]
    assert delete(dashboard, alice).status == 204
    assert wiring.users().get_user(alice.user_id) is None


def test_a_retry_finishes_an_erasure_that_stopped_half_way(dashboard: Any) -> None:
    """As if the first DELETE had stopped after the directory user went and the final audit event was
    written, just before the profile: the retry (same token) finishes, recording the event once."""
    alice = member(dashboard)
    user = wiring.users().get_user(alice.user_id)
    assert user is not None
    wiring.users().put_user(user.model_copy(update={"trading_disabled_reason": DELETION_REASON}))
    wiring.accounts().idp.delete(alice.email)
    wiring.audit_records().flush_outbox(alice.user_id)  # as the first DELETE did before its last event
    wiring.audit_records().record(
        AuditEvent(
            action="account.deleted", outcome=Outcome.SUCCESS, subject=alice.user_id, actor=alice.user_id
        )
    )

    assert delete(dashboard, alice).status == 204
    assert [e.action for e in wiring.audit_records().events_for(alice.user_id, limit=1000)].count(
        "account.deleted"
    ) == 1
    assert not secret_exists(alice.user_id)
    assert [i for i in state_items() if alice.user_id in json.dumps(i)] == []


def test_an_admin_erases_a_disabled_account_that_cannot_sign_in(dashboard: Any, api: Any) -> None:
    admin_api = api("admin_api")
    carol, admin = member(dashboard), member(dashboard)
    wiring.accounts().set_status(admin.user_id, carol.user_id, UserStatus.DISABLED)
    assert login(dashboard, carol.email).status in (401, 403)  # DELETE /v1/me is out of her reach

    def erase(confirm: str, role: str = "admin") -> Any:
        return admin_api(
            "users_erase", user_id=admin.user_id, role=role, target_id=carol.user_id, confirm=confirm
        )

    assert erase(carol.email, role="user").status == 403  # admins only
    wrong = erase(admin.email)
    assert wrong.status == 422 and wrong.error["field"] == "confirm"
    assert wiring.users().get_user(carol.user_id) is not None  # nothing deleted

    assert erase(carol.email.upper()).status == 204
    assert wiring.users().get_user(carol.user_id) is None
    assert not [i for i in state_items() if carol.user_id in json.dumps(i) or carol.email in json.dumps(i)]
    assert not secret_exists(carol.user_id) and secret_exists(admin.user_id)
    events = wiring.audit_records().events_for(carol.user_id, limit=1000)
    assert (events[0].action, events[0].actor) == ("account.deleted", admin.user_id)
    assert erase(carol.email).status == 404  # gone
