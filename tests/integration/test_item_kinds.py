"""Every kind of item the code writes is in the key layout (nija.adapters.dynamo.keys), on moto: the
real writers make one of each for a user who signed up (and the platform's own), then every key in
both tables must be of a declared kind, every declared kind must have been written, the export must
hold each of the user's items the layout exports, and after the erasure only the platform's items
and the audit table are left."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kit import a_request, filled_order

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.dynamo import keys
from nija.adapters.dynamo.analytics import DynamoAnalyticsStore
from nija.adapters.dynamo.connections import DynamoConnections
from nija.adapters.dynamo.controls import DynamoControls
from nija.adapters.dynamo.credentials import DynamoCredentialIndex
from nija.adapters.dynamo.devices import DynamoDevices
from nija.adapters.dynamo.reconcile import DynamoReconcileBook
from nija.adapters.dynamo.risk import DynamoRiskStore
from nija.adapters.dynamo.settings import DynamoStrategySettings
from nija.adapters.dynamo.throttle import DynamoTokenBuckets
from nija.adapters.market_cache import CachedMarketData
from nija.adapters.paper.broker import PaperBroker
from nija.adapters.paper.feed import PaperFeed
from nija.config import get_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.items import ItemKey, ItemKind
from nija.domain.models import BrokerName
from nija.domain.notifications import Device
from nija.domain.orders import OrderStatus
from nija.domain.reconciliation import Difference
from nija.domain.risk import RiskSettings
from nija.domain.settings import StrategySettings
from nija.domain.switches import Breaker, BreakerState, KillSwitch, SwitchScope
from nija.domain.throttle import BucketKey, BucketLimit

PASSWORD = "Sample-Passw0rd!"
T0 = datetime(2026, 11, 2, tzinfo=UTC)
PLATFORM = {ItemKind.GLOBAL_SWITCH, ItemKind.BROKER_SWITCH, ItemKind.BREAKER, ItemKind.CANDLES}


def _items(table: str) -> list[dict[str, Any]]:
    pages = client("dynamodb").get_paginator("scan").paginate(TableName=table, ConsistentRead=True)
    return [item for page in pages for item in page["Items"]]


def _keyed(table: str) -> list[tuple[ItemKey | None, dict[str, Any]]]:
    return [(keys.parse(i["pk"]["S"], i["sk"]["S"]), i) for i in _items(table)]


def _platforms(key: ItemKey) -> bool:
    """The platform's own items: no user's data, left by an erasure."""
    return key.kind in PLATFORM or (key.kind is ItemKind.THROTTLE_BUCKET and "#" not in key.owner)


def _the_platforms_items() -> None:
    controls = DynamoControls()
    for scope, target in ((SwitchScope.GLOBAL, "global"), (SwitchScope.BROKER, "paper")):
        controls.engage(KillSwitch(scope=scope, target=target, mode="reducing", engaged_by="admin"))
    controls.put_breaker(
        Breaker(broker="kraken", state=BreakerState.OPEN, failures=5, opened_at=T0, version=1)
    )
    CachedMarketData(PaperFeed(1), BrokerName.PAPER, clock=lambda: T0).candles("BTC/USD", "5m", 3)
    DynamoTokenBuckets().reserve(BucketKey("kraken"), BucketLimit(capacity=5, rate=1), 1, max_wait_s=0)


def _a_users_items(dashboard: Any) -> tuple[str, str]:
    """A user signed up through the API, with one item of every kind the platform keeps for a user."""
    address = f"keys-{uuid.uuid4().hex[:10]}@example.com"
    signup = dashboard.event("auth_signup", email=address)
    r = dashboard.invoke({**signup, "body": json.dumps({"email": address, "password": PASSWORD})})
    assert r.status == 201, r.body
    user = r.body["user_id"]
    login = dashboard.event("auth_login_user", email=address, password="x")
    wrong = dashboard.invoke({**login, "body": json.dumps({"email": address, "password": "Wrong-Passw0rd!"})})
    assert wrong.status == 401  # a failed sign-in: the address's guard
    # broker keys (their metadata), the paper account they open, and a lock on them left to expire
    wiring.vault_service().connect(user, BrokerName.PAPER, {"api_key": "paper-key-0001", "api_secret": "s"})
    assert DynamoCredentialIndex().lock(user, "rotation", ttl_s=60)
    risk = DynamoRiskStore()
    DynamoStrategySettings().put(
        user,
        StrategySettings(enabled=True, brokers=(BrokerName.PAPER,), symbols=("BTC/USD",)),
        RiskSettings(),
    )
    risk.record_equity(user, "paper", Decimal("10100"), T0)
    risk.start_day(user, T0, Decimal("10000"), T0)
    DynamoAnalyticsStore().record_snapshot(user, Decimal("10100"), T0)
    order = filled_order(user, 1, T0)  # the order, its trade, the position and the PnL bucket
    wiring.orders().claim_request_key(user, "key-1", order.order_id)
    own = KillSwitch(scope=SwitchScope.USER, target=user, mode="halted", engaged_by=user)
    event = AuditEvent(action="switch.engage", outcome=Outcome.SUCCESS, subject=user, actor=user)
    DynamoControls().engage(own, event)  # and its audit event in the outbox
    # an event appended long after it happened (as `nija audit flush-outbox` would): a late marker
    wiring.audit_records().record(
        AuditEvent(action="switch.release", outcome=Outcome.SUCCESS, subject=user, actor=user, at=T0)
    )
    devices = DynamoDevices()
    assert devices.add(user, Device(token="ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", platform="ios"))
    assert devices.once(user, f"fill#{T0.date().isoformat()}")
    DynamoConnections().add(f"conn-{uuid.uuid4().hex[:8]}=", user)
    paper = PaperBroker.from_settings(clock=lambda: T0).account(user)
    assert paper.place_order(a_request("rests-1", "buy", "0.01", limit="1")).status is OrderStatus.ACCEPTED
    DynamoTokenBuckets().reserve(BucketKey("kraken", user), BucketLimit(capacity=5, rate=1), 1, max_wait_s=0)
    # what its reconciliation found (the fill above left a reminder of it)
    difference = Difference(user_id=user, broker=BrokerName.PAPER, asset="BTC", ours="1", theirs="0")
    DynamoReconcileBook().remember(user, BrokerName.PAPER, (difference,), T0)
    assert dashboard("me", user_id=user).status == 200  # counted against their tier: their window
    return user, address


def test_every_item_the_code_writes_is_in_the_layout_exported_and_erased(dashboard: Any) -> None:
    cat = get_settings().catalogue
    _the_platforms_items()
    user, address = _a_users_items(dashboard)
    state = _keyed(cat.state_table.name)
    assert [item for key, item in state if key is None] == []  # every key is of a declared kind

    doc = wiring.data_rights().export(user)  # appends the outbox's events to the chain first
    audit = _keyed(cat.audit_table.name)
    assert [item for key, item in audit if key is None] == []
    assert {key.kind for key, _ in state + audit if key is not None} == set(ItemKind)  # every kind written

    data = doc["data"]
    assert "other" not in data
    mine = [(key, item) for key, item in state if key is not None and not _platforms(key)]
    for key, _ in mine:
        section = keys.SHAPE[key.kind].export
        if section is not None:  # else the layout says why it is not exported
            assert data.get(section), (key, section)
        if key.kind is ItemKind.AUDIT_OUTBOX:
            assert key.name in {e["event_id"] for e in data["audit_events"]}
    assert [n["notification"] for n in data["notifications_sent"]] == ["fill#2026-11-02"]
    assert {key.kind for key, _ in mine} >= set(ItemKind) - PLATFORM - {
        ItemKind.AUDIT_RECORD,
        ItemKind.AUDIT_EVENT,
        ItemKind.AUDIT_LATE,
    }

    wiring.data_rights().delete_account(user, address)
    left = _keyed(cat.state_table.name)
    assert [(key, item) for key, item in left if key is None or not _platforms(key)] == []
    assert len(left) == len(state) - len(mine)  # the platform's items stay, every one
    kept = {key.kind for key, _ in _keyed(cat.audit_table.name) if key is not None}
    # the chains, their event markers and the late records' markers stay
    assert kept == {ItemKind.AUDIT_RECORD, ItemKind.AUDIT_EVENT, ItemKind.AUDIT_LATE}
