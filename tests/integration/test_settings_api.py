"""GET and PUT /v1/settings through dashboard_api's Lambda handler, with the events in
events/dashboard_api, on moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nija import wiring
from nija.domain.audit import Outcome
from nija.domain.settings import scan_shard
from nija.local import identity

ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c22"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(ALICE, BOB),
]

DEFAULTS = {
    "strategy": {
        "enabled": False,
        "strategy": "dual_rsi",
        "brokers": [],
        "symbols": [],
        "timeframe": "5m",
        "thresholds": {
            "oversold": 30.0,
            "midline": 50.0,
            "overbought": 70.0,
            "stop_loss": "0.02",
            "take_profit": "0.04",
        },
        "notifications": {
            "fills": True,
            "refusals": True,
            "daily_loss_limit": True,
            "trading_disabled": True,
            "account_disabled": True,
        },
    },
    "risk": {
        "position_share": "0.05",
        "max_open_positions": 5,
        "daily_loss_limit": "0.05",
        "max_total_exposure": "1",
        "time_zone": "UTC",
    },
}


@pytest.fixture
def dashboard(gateway_mode: None, aws: None, api: Any) -> Any:
    """dashboard_api trusting the authorizer's context (as deployed); both users have paper keys."""
    for user in (ALICE, BOB):
        identity.connect_paper(user)
    return api("dashboard_api")


def with_body(event: dict[str, Any], body: Any) -> dict[str, Any]:
    return {**event, "body": json.dumps(body)}


def put_event(dashboard: Any, user: str = ALICE) -> dict[str, Any]:
    return dashboard.event("settings_put", user_id=user)


def body_of(event: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(event["body"]))


def audit(user: str) -> list[Any]:
    """The user's settings records: a save's is stored with it in the outbox; appended here the way
    an export does it (the audit writer's own path is tested in test_audit_outbox)."""
    wiring.audit_records().flush_outbox(user)
    return [e for e in wiring.audit_records().events_for(user) if e.action == "settings.update"]


def test_get_shows_the_defaults_until_saved(dashboard: Any) -> None:
    r = dashboard("settings_get", user_id=ALICE)
    assert r.status == 200, r.body
    assert r.body == DEFAULTS
    assert "max_consecutive_errors" not in r.body["risk"]  # the platform's, not the user's


def test_put_stores_both_parts_and_get_shows_them(dashboard: Any) -> None:
    sent = body_of(put_event(dashboard))
    r = dashboard("settings_put", user_id=ALICE)
    assert r.status == 200, r.body
    assert r.body["strategy"]["symbols"] == ["BTC/USD", "ETH/USD"]
    assert r.body["risk"] == {**sent["risk"], "max_open_positions": 3}

    got = dashboard("settings_get", user_id=ALICE).body
    assert got == r.body
    assert got["strategy"]["thresholds"]["stop_loss"] == "0.03"  # fractions as JSON strings
    assert got["risk"]["position_share"] == "0.08"

    # Stored where the executor's pre-trade read and the scan find them.
    assert str(wiring.risk_store().settings(ALICE).position_share) == "0.08"
    assert wiring.risk_store().settings(ALICE).max_consecutive_errors == 5  # kept, not user-settable
    assert [u for u, _ in wiring.settings_store().enabled_in_shard(scan_shard(ALICE))] == [ALICE]


def test_disabling_takes_the_user_out_of_the_scan(dashboard: Any) -> None:
    assert dashboard("settings_put", user_id=ALICE).status == 200
    event = put_event(dashboard)
    body = body_of(event)
    body["strategy"]["enabled"] = False
    r = dashboard.invoke(with_body(event, body))
    assert r.status == 200 and r.body["strategy"]["enabled"] is False
    assert r.body["strategy"]["symbols"] == ["BTC/USD", "ETH/USD"]  # kept for next time
    assert list(wiring.settings_store().enabled_in_shard(scan_shard(ALICE))) == []


@pytest.mark.parametrize(
    ("part", "name", "value", "field"),
    [
        ("risk", "position_share", "0.5", "risk.position_share"),
        ("risk", "max_open_positions", 0, "risk.max_open_positions"),
        ("risk", "daily_loss_limit", "0", "risk.daily_loss_limit"),
        ("risk", "max_total_exposure", "4", "risk.max_total_exposure"),
        ("risk", "time_zone", "Mars/Olympus_Mons", "risk.time_zone"),
        ("risk", "max_consecutive_errors", 99, "risk.max_consecutive_errors"),
        ("strategy", "timeframe", "7m", "strategy.timeframe"),
        ("strategy", "strategy", "martingale", "strategy.strategy"),
        ("strategy", "brokers", ["nyse"], "strategy.brokers.0"),
        ("strategy", "symbols", ["DOGE/XYZ"], "strategy.symbols"),
        ("strategy", "symbols", ["BTC/USD", "BTC/USD"], "strategy.symbols"),
        ("strategy", "thresholds", {"oversold": 60, "midline": 50}, "strategy.thresholds.midline"),
        ("strategy", "thresholds", {"stop_loss": "0.9"}, "strategy.thresholds.stop_loss"),
        ("strategy", "thresholds", {"oversold": 120}, "strategy.thresholds.oversold"),
    ],
)
def test_an_invalid_value_is_422_naming_the_field(
    dashboard: Any, part: str, name: str, value: Any, field: str
) -> None:
    event = put_event(dashboard)
    body = body_of(event)
    body[part][name] = value
    r = dashboard.invoke(with_body(event, body))
    assert r.status == 422, r.body
    assert r.error["code"] == "invalid_input" and r.error["field"] == field, r.error
    assert dashboard("settings_get", user_id=ALICE).body == DEFAULTS  # nothing stored


def test_the_sample_event_for_a_bad_position_share_is_422(dashboard: Any) -> None:
    r = dashboard("settings_put_position_share_too_large", user_id=ALICE)
    assert r.status == 422
    assert r.error["field"] == "risk.position_share" and "0.02" in r.error["message"]


def test_enabling_without_symbols_or_a_part_left_out_is_422(dashboard: Any) -> None:
    event = put_event(dashboard)
    body = body_of(event)
    body["strategy"]["symbols"] = []
    r = dashboard.invoke(with_body(event, body))
    assert r.status == 422 and r.error["field"] == "strategy", r.error
    assert "one symbol" in r.error["message"]

    r = dashboard.invoke(with_body(event, {"strategy": body_of(event)["strategy"]}))
    assert r.status == 422 and r.error["field"] == "risk", r.error

    r = dashboard.invoke(with_body(event, {**body_of(event), "extra": 1}))
    assert r.status == 422 and r.error["field"] == "extra", r.error


def test_a_broker_not_connected_is_422_naming_strategy_brokers(dashboard: Any) -> None:
    r = dashboard("settings_put_broker_not_connected", user_id=ALICE)
    assert r.status == 422, r.body
    assert r.error == {
        "code": "broker_not_connected",
        "field": "strategy.brokers",
        "message": r.error["message"],
    }
    assert "kraken" in r.error["message"] and "/v1/brokers/kraken/credentials" in r.error["message"]
    assert dashboard("settings_get", user_id=ALICE).body == DEFAULTS
    (refused,) = audit(ALICE)
    assert refused.outcome is Outcome.REFUSED and refused.details["brokers"] == "kraken"


def test_every_change_is_audited_with_the_fields_it_changed(dashboard: Any) -> None:
    assert dashboard("settings_put", user_id=ALICE).status == 200
    event = put_event(dashboard)
    body = body_of(event)
    body["risk"]["time_zone"] = "America/New_York"
    body["strategy"]["symbols"] = ["BTC/USD"]
    assert dashboard.invoke(with_body(event, body)).status == 200

    second, first = audit(ALICE)  # newest first
    assert first.outcome is second.outcome is Outcome.SUCCESS
    assert first.actor == first.subject == ALICE and first.source_ip == "203.0.113.24"
    assert "strategy.enabled" in first.details["changed"].split(",")
    assert first.details["risk.position_share"] == '"0.05" -> "0.08"'
    assert second.details["changed"] == "risk.time_zone,strategy.symbols"
    assert second.details["risk.time_zone"] == '"Europe/Paris" -> "America/New_York"'
    assert second.details["strategy.symbols"] == '["BTC/USD","ETH/USD"] -> ["BTC/USD"]'


def test_another_users_settings_are_never_visible(dashboard: Any) -> None:
    assert dashboard("settings_put", user_id=ALICE).status == 200
    assert dashboard("settings_get", user_id=BOB).body == DEFAULTS

    event = put_event(dashboard, BOB)
    body = body_of(event)
    body["risk"]["max_open_positions"] = 9
    assert dashboard.invoke(with_body(event, body)).status == 200
    assert dashboard("settings_get", user_id=ALICE).body["risk"]["max_open_positions"] == 3
    assert audit(BOB)[0].subject == BOB and all(e.subject == ALICE for e in audit(ALICE))


def test_without_the_authorizers_context_it_is_401(dashboard: Any) -> None:
    event = dashboard.event("settings_get", user_id=ALICE)
    event["requestContext"].pop("authorizer")
    assert dashboard.invoke(event).status == 401
