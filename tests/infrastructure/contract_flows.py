"""A representative flow per function deployment, for the deployment contract: the data it needs is
put on moto first, then the handler runs from a cold start (settings and clients built anew, as in a
new Lambda process) inside `recording`, with the sample events of events/ as Lambda sends them.
The flows of the functions that verify a user's token, and of the stream processor, are in
contract_socket_flows.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import contract_socket_flows as socket_flows
import pytest
from aws_calls import unrecorded
from contract_kit import (
    ADMIN,
    ALICE,
    BOB,
    DEV,
    Flow,
    api,
    env,
    handler,
    members,
    paper_user,
    queue_paper_order,
)
from kit import KRAKEN_SECRET, emailed_code, password_tokens, queued_event, routed

from nija import wiring
from nija.config import get_settings
from nija.domain.models import BrokerName
from nija.local import identity
from nija.local.lambda_runtime import load_event, scheduled_event

# --- executor: an order from the queue, then the open-order sync ------------------------------------------


def _queued_orders(request: pytest.FixtureRequest) -> dict[str, Any]:
    paper_user(ALICE)
    queue_paper_order(ALICE)
    return {
        "batch": queued_event("paper"),
        "sync": scheduled_event(get_settings().catalogue.sync_rule_name("paper"), get_settings().region),
    }


def _execute(given: dict[str, Any]) -> None:
    assert handler("executor", given["batch"])["batchItemFailures"] == []
    handler("executor", given["sync"])


# --- the kraken executor: a user's reconciliation after a fill, with their keys from the vault -----------


def _kraken_due(request: pytest.FixtureRequest) -> dict[str, Any]:
    from nija.domain.credentials import KrakenCredentials

    env(request, broker="kraken")
    members(ALICE)
    wiring.vault().put(ALICE, KrakenCredentials(api_key="kraken-key", api_secret=KRAKEN_SECRET), 1)
    wiring.reconcile_book().schedule(ALICE, BrokerName.KRAKEN, datetime.now(UTC))
    return {"sync": scheduled_event(get_settings().catalogue.sync_rule_name("kraken"), get_settings().region)}


def _reconcile_kraken(given: dict[str, Any]) -> None:
    from fixtures.brokers.replay import Replay

    from nija.adapters.brokers import override_client_settings

    replay = Replay().load("kraken", "ok", "adapter_markets", "adapter_ticker")
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        handler("executor", given["sync"])
    with unrecorded():
        assert wiring.reconcile_book().last(ALICE, BrokerName.KRAKEN) is not None  # the keys were read


# --- strategy_scan: one shard of the paper broker -----------------------------------------------------------


def _scan_users(request: pytest.FixtureRequest) -> None:
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.domain.settings import StrategySettings

    paper_user(ALICE)
    DynamoStrategySettings().put(
        ALICE,
        StrategySettings(enabled=True, brokers=(BrokerName.PAPER,), symbols=("BTC/USD",), timeframe="5m"),
    )


def _scan(given: None) -> None:
    handler("strategy_scan", load_event("strategy_scan/shard"))


def _kraken_user(request: pytest.FixtureRequest) -> Any:
    """Two kraken users with keys in the vault: BOB never valued yet, ALICE valued by the executor's
    reconciliation; and kraken's recorded answers, should anything ask the exchange."""
    from fixtures.brokers.replay import Replay

    from nija.domain.credentials import KrakenCredentials

    members(ALICE, BOB)
    for user in (ALICE, BOB):
        wiring.vault().put(user, KrakenCredentials(api_key="kraken-key", api_secret=KRAKEN_SECRET), 1)
    wiring.risk_store().record_equity(ALICE, "kraken", Decimal(10000), datetime.now(UTC))
    return Replay().load("kraken", "ok", "adapter_markets", "adapter_ticker")


def _size_first_entry(replay: Any) -> None:
    """The kraken scan sizing first entries as its container wires the sizer: from the valuations
    the executor records, never at the exchange (the scan holds no keys); BOB is not valued yet."""
    from nija.adapters.brokers import override_client_settings
    from nija.logic.scan import NotValued

    sizer = wiring.container().scanner.sizer
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        sized = sizer.entry_quantity(ALICE, BrokerName.KRAKEN, "BTC/USD", Decimal(50000))
        with pytest.raises(NotValued):
            sizer.entry_quantity(BOB, BrokerName.KRAKEN, "BTC/USD", Decimal(50000))
    assert sized is not None and sized > 0
    assert replay.requests == []  # nothing reached the exchange


# --- the three API functions, as API Gateway's proxy integration calls them ---------------------------------


def _api_world(request: pytest.FixtureRequest) -> identity.Pool:
    cat = get_settings().catalogue
    pool = identity.create_user_pool(cat)
    env(
        request,
        auth_mode="gateway",
        user_pool_id=pool.pool_id,
        user_pool_client_id=pool.client_id,
    )
    paper_user(ALICE)
    return pool


def _trade(given: Any) -> None:
    from kit import recorded_brokers

    api("trading_api", "brokers_put_paper", user_id=ALICE)
    api("trading_api", "orders_create", user_id=ALICE, idempotency_key="contract-1")
    api("trading_api", "positions_list", user_id=ALICE)
    # The vault's writes: a user's first keys create their secret, a second broker's is a version
    # of it; a disconnect takes a broker's label off, the last one deletes the secret.
    with recorded_brokers():
        api_keys("brokers_put_paper", "kraken", {"api_key": "kraken-key", "api_secret": KRAKEN_SECRET})
        api_keys("brokers_put_paper", "alpaca", {"key_id": "PKCONTRACT01", "secret_key": "alpaca"})
    api_keys("brokers_delete_paper", "kraken", None)
    api_keys("brokers_delete_paper", "alpaca", None)


def api_keys(case: str, broker: str, body: dict[str, str] | None) -> None:
    """A credentials route's sample event (paper's) for another broker."""
    event = load_event(f"trading_api/{case}", user_id=ALICE)
    event["path"] = event["path"].replace("/paper/", f"/{broker}/")
    event["requestContext"]["path"] = event["requestContext"]["path"].replace("/paper/", f"/{broker}/")
    event["pathParameters"] = {"broker": broker}
    event["body"] = None if body is None else json.dumps(body)
    reply = handler("trading_api", event)
    assert reply["statusCode"] < 300, reply


RECOVERING = "recovering@example.com"
PASSWORDS = ("Contract-Passw0rd-1!", "Contract-Passw0rd-2!", "Contract-Passw0rd-3!")


def _dashboard_world(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The API's world, and a pool user who will recover the account and end sessions."""
    pool = _api_world(request)
    outbox = request.getfixturevalue("tmp_path") / "email-outbox.jsonl"
    env(request, email_outbox=str(outbox))
    user_id = identity.create_confirmed_user(pool, RECOVERING, PASSWORDS[0], wiring.users())
    return {"pool": pool, "outbox": outbox, "user_id": user_id}


def _route(method: str, path: str, body: dict[str, Any], user_id: str = "", token: str = "") -> None:
    base = (
        load_event("dashboard_api/auth_mfa_setup", user_id=user_id, token=token)
        if user_id
        else load_event("dashboard_api/auth_login_user", email=RECOVERING, password="x")
    )
    reply = handler("dashboard_api", routed(base, method, path, body))
    assert reply["statusCode"] < 300, reply


def _dashboard(given: dict[str, Any]) -> None:
    api("dashboard_api", "me", user_id=ALICE)
    api("dashboard_api", "settings_get", user_id=ALICE)
    api("dashboard_api", "dashboard", user_id=ALICE)
    # Recovery and sessions (issue 16): a reset ends every session (an admin's global sign-out).
    _route("POST", "/v1/auth/password/forgot", {"email": RECOVERING})
    code = emailed_code(given["outbox"], RECOVERING)
    reset = {"email": RECOVERING, "code": code, "new_password": PASSWORDS[1]}
    _route("POST", "/v1/auth/password/reset", reset)
    _route("POST", "/v1/auth/confirm/resend", {"email": RECOVERING})
    tokens = password_tokens(given["pool"].client_id, RECOVERING, PASSWORDS[1])
    _route("POST", "/v1/auth/logout", {"refresh_token": tokens["RefreshToken"]})
    tokens = password_tokens(given["pool"].client_id, RECOVERING, PASSWORDS[1])
    signed_in = {"user_id": given["user_id"], "token": tokens["AccessToken"]}
    _route("DELETE", "/v1/auth/mfa", {"code": "123456"}, **signed_in)
    change = {"current_password": PASSWORDS[1], "new_password": PASSWORDS[2]}
    _route("POST", "/v1/auth/password/change", change, **signed_in)  # every session ends
    tokens = password_tokens(given["pool"].client_id, RECOVERING, PASSWORDS[2])
    _route("POST", "/v1/auth/logout", {"refresh_token": tokens["RefreshToken"], "everywhere": True})


def _admin_world(request: pytest.FixtureRequest) -> None:
    _api_world(request)
    members(ADMIN)


def _administer(given: Any) -> None:
    api("admin_api", "health", user_id=ADMIN, role="admin")
    api("admin_api", "users_tier", user_id=ADMIN, role="admin", target_id=ALICE)
    api("admin_api", "users_permissions_put", user_id=ADMIN, role="admin", target_id=ALICE)
    api("admin_api", "users_permissions_get", user_id=ADMIN, role="admin", target_id=ALICE)


# --- the audit: the outbox into the chains, and the hourly anchor ---------------------------------------


def _anchored(request: pytest.FixtureRequest) -> None:
    from nija.local.provision import create_anchor_bucket

    env(request, audit_anchor_bucket=create_anchor_bucket(get_settings().catalogue))
    _outbox(request).drain()  # the outbox's events into their chains: something to anchor


def _anchor(given: None) -> None:
    handler(
        "audit_anchor",
        scheduled_event(get_settings().catalogue.audit_anchor_rule_name, get_settings().region),
    )


def _outbox(request: pytest.FixtureRequest) -> Any:
    import threading

    from nija.local.stack import audit_writer_poller

    env(request, auth_mode="gateway")
    paper_user(ALICE)
    api("trading_api", "brokers_put_paper", user_id=ALICE)  # an audited vault write, via the outbox
    request.getfixturevalue("monkeypatch").delenv("NIJA_AUTH_MODE")  # the API's, not the audit's
    return audit_writer_poller(threading.Event(), "contract-audit", retries=0)


def _outbox_events(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """The stream events the audit writer's event source would deliver (read by the local poller)."""
    poller = _outbox(request)
    events: list[dict[str, Any]] = []
    poller.function.handler = lambda event, context: events.append(event) or {"batchItemFailures": []}
    poller.drain()
    assert events, "the outbox streamed nothing"
    return events


def _append(events: list[dict[str, Any]]) -> None:
    for event in events:
        assert handler("audit_writer", event)["batchItemFailures"] == []


# The stream processor where the stack has Timestream (checked against the flag's synthesis).
STREAM_WITH_TIMESTREAM = Flow(
    "stream_processor",
    f"{DEV}-stream-processor",
    socket_flows.user_changes_with_timestream,
    socket_flows.push_and_write,
)
# Until the scan sizes a first entry from what its deployment may read (issue 15, item 2).
SCAN_FIRST_ENTRY = Flow("strategy_scan", f"{DEV}-scan-kraken", _kraken_user, _size_first_entry)

FLOWS: tuple[Flow, ...] = (
    Flow("executor", f"{DEV}-executor-paper", _queued_orders, _execute),
    Flow("executor", f"{DEV}-executor-kraken", _kraken_due, _reconcile_kraken),
    Flow("strategy_scan", f"{DEV}-scan-paper", _scan_users, _scan),
    Flow("trading_api", f"{DEV}-trading-api", _api_world, _trade),
    Flow("dashboard_api", f"{DEV}-dashboard-api", _dashboard_world, _dashboard),
    Flow("admin_api", f"{DEV}-admin-api", _admin_world, _administer),
    Flow("audit_anchor", f"{DEV}-audit-anchor", _anchored, _anchor),
    Flow("audit_writer", f"{DEV}-audit-writer", _outbox_events, _append),
    Flow("authorizer", f"{DEV}-authorizer", socket_flows.signed_in, socket_flows.authorize),
    Flow("realtime", f"{DEV}-realtime", socket_flows.signed_in, socket_flows.connect_and_close),
    Flow("stream_processor", f"{DEV}-stream-processor", socket_flows.user_changes, socket_flows.push),
)
