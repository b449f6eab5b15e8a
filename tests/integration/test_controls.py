"""Kill switches, the circuit breaker, trading disabled after repeated broker errors, the admin
health view and the DLQ redrive, through the real handlers on moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.sqs_queue import redrive
from nija.config import get_settings, reset_settings
from nija.domain.errors import BrokerTemporaryError
from nija.domain.models import BrokerName, User
from nija.domain.orders import OrderStatus
from nija.domain.switches import BreakerState
from nija.local import identity
from nija.local.lambda_runtime import queue_arn, sqs_event
from nija.logic.controls import BREAKER_THRESHOLD, Controls

ALICE, BOB, ADMIN = (
    "a11ce000-0000-4000-8000-00000000000a",
    "b0b00000-0000-4000-8000-00000000000b",
    "ad000000-0000-4000-8000-0000000000ad",
)
PAPER = BrokerName.PAPER


@pytest.fixture
def apis(aws: None, monkeypatch: pytest.MonkeyPatch, api: Any) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("NIJA_AUTH_MODE", "gateway")
    reset_settings()
    for user in (ALICE, BOB):
        wiring.users().put_user(User(user_id=user, email=f"{user[:4]}@example.com"))
        wiring.broker(PAPER).seed_balances(user, {"USD": Decimal(100_000)})  # type: ignore[attr-defined]
        identity.connect_paper(user)
    yield {"trading": api("trading_api"), "admin": api("admin_api"), "dashboard": api("dashboard_api")}
    reset_settings()


def order(apis: dict[str, Any], user: str, key: str, **changes: Any) -> Any:
    event = apis["trading"].event("orders_create", user_id=user, idempotency_key=key)
    event["body"] = json.dumps({**json.loads(event["body"]), **changes})
    return apis["trading"].invoke(event)


def switch(apis: dict[str, Any], user: str, **body: Any) -> Any:
    event = apis["trading"].event("kill_switch", user_id=user)
    return apis["trading"].invoke({**event, "body": json.dumps(body)})


def admin_switch(apis: dict[str, Any], role: str = "admin", **body: Any) -> Any:
    event = apis["admin"].event("kill_switch", user_id=ADMIN, role=role)
    return apis["admin"].invoke({**event, "body": json.dumps(body)})


def run_executor(executor: Any) -> dict[str, Any]:
    name = get_settings().catalogue.queue(PAPER).name
    url = queue_url(name)
    messages = (
        client("sqs")
        .receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
        .get("Messages", [])
    )
    if not messages:
        return {"batchItemFailures": []}
    result: dict[str, Any] = executor("paper")(sqs_event(messages, queue_arn("us-east-1", name), "us-east-1"))
    failed = {f["itemIdentifier"] for f in result["batchItemFailures"]}
    for m in messages:
        if m["MessageId"] not in failed:
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return result


def status(user: str, order_id: str) -> tuple[OrderStatus, str | None]:
    o = wiring.orders().get_order(user, order_id)
    assert o is not None
    return o.status, o.reason_code


def test_a_users_switch_refuses_new_orders_at_once_and_queued_ones_too(
    apis: dict[str, Any], executor: Any, audit_writer: Callable[[], None]
) -> None:
    queued = order(apis, ALICE, "before").body["order_id"]
    engaged = switch(apis, ALICE, engaged=True, mode="halted")
    assert engaged.status == 200 and engaged.body["engaged"] is True and engaged.body["mode"] == "halted"

    refused = order(apis, ALICE, "after")
    assert refused.status == 409 and refused.error["code"] == "kill_switch_halted"
    run_executor(executor)
    assert status(ALICE, queued) == (OrderStatus.REJECTED, "kill_switch_halted")
    assert order(apis, BOB, "bob").status == 202  # nobody else is stopped

    released = switch(apis, ALICE, engaged=False)
    assert released.body | {"engaged_at": None, "engaged_by": None} == {
        "scope": "user",
        "target": ALICE,
        "engaged": False,
        "mode": "active",
        "engaged_at": None,
        "engaged_by": None,
    }
    placed = order(apis, ALICE, "again").body["order_id"]
    run_executor(executor)
    assert status(ALICE, placed)[0] is OrderStatus.FILLED
    audit_writer()  # the switch's events reach the chain through the outbox
    audit = [e for e in wiring.audit_records().events_for(ALICE) if e.action == "controls.kill_switch"]
    assert [e.details["engaged"] for e in audit] == ["false", "true"]


def test_reducing_lets_only_orders_that_reduce_through(apis: dict[str, Any], executor: Any) -> None:
    bought = order(apis, ALICE, "open", quantity="0.02").body["order_id"]
    run_executor(executor)
    assert status(ALICE, bought)[0] is OrderStatus.FILLED
    switch(apis, ALICE, engaged=True, mode="reducing")
    more = order(apis, ALICE, "more", quantity="0.01").body["order_id"]
    run_executor(executor)
    trim = order(apis, ALICE, "trim", side="sell", quantity="0.01").body["order_id"]
    run_executor(executor)
    assert status(ALICE, more) == (OrderStatus.REJECTED, "reduce_only")
    assert status(ALICE, trim)[0] is OrderStatus.FILLED


def test_admins_switch_everything_or_one_broker(apis: dict[str, Any], executor: Any) -> None:
    forbidden = admin_switch(apis, role="user", engaged=True, scope="global")
    assert forbidden.status == 403
    assert admin_switch(apis, engaged=True, scope="broker").status == 422  # broker scope names a broker

    on = admin_switch(apis, engaged=True, scope="broker", broker="paper", mode="halted")
    assert on.status == 200 and on.body["target"] == "paper"
    assert order(apis, BOB, "b1").status == 409
    health = apis["admin"]("health", user_id=ADMIN, role="admin")
    assert [s["target"] for s in health.body["kill_switches"]] == ["paper"]
    admin_switch(apis, engaged=False, scope="broker", broker="paper")

    admin_switch(apis, engaged=True, scope="global", mode="halted")
    assert order(apis, ALICE, "a1").status == 409 and order(apis, BOB, "b2").status == 409
    admin_switch(apis, engaged=False, scope="global")
    assert order(apis, BOB, "b3").status == 202


def test_repeated_broker_refusals_disable_trading_with_the_reason_on_me(
    apis: dict[str, Any], executor: Any, audit_writer: Callable[[], None]
) -> None:
    """The executor reports each broker refusal to the guard (the pre-trade checks stop the paper
    broker's own refusals first, so this test reports the last one of the limit itself)."""
    limit = wiring.risk_store().settings(ALICE).max_consecutive_errors
    user = wiring.users().get_user(ALICE)
    assert user is not None
    wiring.users().put_user(user.model_copy(update={"consecutive_broker_errors": limit - 1}))
    reason = wiring.guard().broker_result(ALICE, ok=False)
    assert reason is not None and str(limit) in reason

    me = apis["dashboard"]("me", user_id=ALICE)
    assert me.body["trading_disabled_reason"] == reason
    placed = order(apis, ALICE, "while-disabled").body["order_id"]
    run_executor(executor)
    assert status(ALICE, placed) == (OrderStatus.REJECTED, "trading_disabled")

    switch(apis, ALICE, engaged=False)  # the user acknowledges: trading resumes
    assert apis["dashboard"]("me", user_id=ALICE).body["trading_disabled_reason"] is None
    audit_writer()
    trail = [
        e
        for e in reversed(wiring.audit_records().events_for(ALICE))
        if e.action.startswith("controls.trading_")
    ]
    assert [(e.action, e.actor) for e in trail] == [
        ("controls.trading_paused", "executor"),
        ("controls.trading_resumed", ALICE),
    ]
    assert trail[0].details["reason"] == reason


def test_the_breaker_opens_after_repeated_temporary_failures_and_probes_after_the_cooldown(
    apis: dict[str, Any],
) -> None:
    now = [datetime(2026, 11, 25, 12, tzinfo=UTC)]
    controls = Controls(wiring.controls().store, clock=lambda: now[0])
    for _ in range(BREAKER_THRESHOLD):
        controls.before_call("kraken")
        controls.after_call("kraken", ok=False)
    assert controls.store.breaker("kraken").state is BreakerState.OPEN
    with pytest.raises(BrokerTemporaryError):
        controls.before_call("kraken")
    controls.before_call("paper")  # other brokers are not affected

    now[0] += controls.cooldown + timedelta(seconds=1)
    controls.before_call("kraken")  # the one probe
    with pytest.raises(BrokerTemporaryError):
        controls.before_call("kraken")  # no second probe while it runs
    controls.after_call("kraken", ok=True)
    assert controls.store.breaker("kraken").state is BreakerState.CLOSED
    health = apis["admin"]("health", user_id=ADMIN, role="admin")
    assert {b["broker"]: b["state"] for b in health.body["breakers"]} == {"kraken": "closed"}


def test_health_shows_depths_and_redrive_moves_dead_letters_back(apis: dict[str, Any]) -> None:
    cat = get_settings().catalogue
    sqs = client("sqs")
    sqs.send_message(
        QueueUrl=queue_url(cat.queue(PAPER).dlq_name),
        MessageBody='{"kind": "place"}',
        MessageGroupId=ALICE,
        MessageDeduplicationId="dead-1",
    )
    health = apis["admin"]("health", user_id=ADMIN, role="admin")
    assert health.status == 200
    dlq = {q["queue"]: q["visible"] for q in health.body["dead_letter_queues"]}
    assert dlq[cat.queue(PAPER).dlq_name] == 1 and len(health.body["queues"]) == len(cat.queues)

    assert redrive(cat, "paper") == 1
    moved = sqs.receive_message(QueueUrl=queue_url(cat.queue(PAPER).name), AttributeNames=["All"])["Messages"]
    assert moved[0]["Body"] == '{"kind": "place"}' and moved[0]["Attributes"]["MessageGroupId"] == ALICE
    assert apis["admin"]("health", user_id=ADMIN, role="user").status == 403
