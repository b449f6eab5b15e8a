"""Open orders on the executor's sync schedule: every difference with the broker is audited
(reconcile.order_fills, reconcile.order_status, reconcile.order_missing), then applied; an order
the broker does not know is audited and left as it is.

Orders go through the real FIFO queue, the executor handler and the paper broker on moto.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.dynamo import keys
from nija.adapters.paper.broker import PaperBroker
from nija.config import get_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.models import BrokerName, Principal
from nija.domain.orders import Order, OrderStatus
from nija.local.lambda_runtime import queue_arn, sqs_event
from nija.logic import orders
from nija.logic.orders import OrderRequest
from tests.kit import order_part

ALICE = "0dd5e7a1-7c1e-4b0a-9d3f-5a6b7c8d9e01"
pytestmark = pytest.mark.members(ALICE)
PAPER = BrokerName.PAPER
REGION = "us-east-1"
API_KEY = "paperKEY-CANARY-5d1f0c"
API_SECRET = "paperSECRET-CANARY-9b7e2a"


# --- helpers ---------------------------------------------------------------------------------


def paper() -> PaperBroker:
    broker = wiring.broker(PAPER)
    assert isinstance(broker, PaperBroker)
    return broker


def connect(user: str) -> None:
    """Fund the paper account and store the user's keys through the real vault."""
    paper().seed_balances(user, {"USD": Decimal("100000")})
    wiring.vault_service().connect(user, PAPER, {"api_key": API_KEY, "api_secret": API_SECRET})


def rest(run: Any, user: str, key: str, limit: Decimal) -> Order:
    """A limit buy of 2 SOL placed through the queue and the executor, resting at the broker."""
    request = OrderRequest.model_validate(
        {
            "broker": "paper",
            "symbol": "SOL/USD",
            "side": "buy",
            "type": "limit",
            "quantity": "2",
            "limit_price": str(limit),
        }
    )
    order = orders.place_order(Principal(user_id=user), request, key, wiring.orders(), wiring.order_queue())
    queue = get_settings().catalogue.queue("paper")
    messages = client("sqs").receive_message(
        QueueUrl=queue_url(queue.name), MaxNumberOfMessages=10, AttributeNames=["All"]
    )["Messages"]
    assert run(sqs_event(messages, queue_arn(REGION, queue.name), REGION)) == {"batchItemFailures": []}
    for m in messages:
        client("sqs").delete_message(QueueUrl=queue_url(queue.name), ReceiptHandle=m["ReceiptHandle"])
    placed = stored(user, order.order_id)
    assert placed.status is OrderStatus.ACCEPTED
    return placed


def stored(user: str, order_id: str) -> Order:
    order = wiring.orders().get_order(user, order_id)
    assert order is not None
    return order


def audited(user: str) -> list[AuditEvent]:
    """The user's order reconciliation events, oldest first."""
    events = wiring.audit_records().events_for(user, limit=1000)
    return sorted(
        (e for e in events if e.action.startswith("reconcile.order_")), key=lambda e: (e.at, e.event_id)
    )


def forget_at_the_broker(user: str, order: Order) -> None:
    """The broker loses the order: its paper book no longer has it."""
    client("dynamodb").delete_item(
        TableName=get_settings().catalogue.state_table.name,
        Key={"pk": {"S": keys.paper_pk(user)}, "sk": {"S": keys.paper_order_sk(order.client_order_id)}},
    )


def summary(open_: int, changed: int, order_differences: int) -> dict[str, Any]:
    return {
        "broker": "paper",
        "open": open_,
        "changed": changed,
        "order_differences": order_differences,
        "differences": 0,
    }


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def run(executor: Any) -> Any:
    return executor("paper")


@pytest.fixture
def sync(load_event: Any, run: Any) -> Any:
    event = load_event("executor/scheduled_sync")
    return lambda: order_part(run(event))


# --- tests -----------------------------------------------------------------------------------


def test_a_resting_fill_at_the_broker_is_audited_once_and_recorded_once(
    run: Any, sync: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The paper feed follows the clock, so the broker gets one the test can move: the same
    PaperBroker the platform builds (from_settings), served through nija.wiring."""
    clock = Clock(datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    timed = PaperBroker.from_settings(clock=clock)
    real_broker = wiring.broker
    monkeypatch.setattr(
        wiring.container(),
        "broker",
        functools.cache(lambda name: timed if name is PAPER else real_broker(name)),
    )
    connect(ALICE)
    mark = timed.mark_price("SOL/USD")
    assert mark is not None
    limit = (mark * Decimal("0.9")).quantize(Decimal("0.01"))
    crossing = next(
        clock.now + timedelta(minutes=m)
        for m in range(1, 21 * 24 * 60)
        if timed.feed.price("SOL/USD", clock.now + timedelta(minutes=m)) <= limit
    )
    order = rest(run, ALICE, "dip-1", limit)

    assert sync() == summary(1, 0, 0)
    assert audited(ALICE) == []

    clock.now = crossing
    capsys.readouterr()
    assert sync() == summary(1, 1, 1)

    (trade,) = wiring.ledger().list_trades(ALICE, 100, None)[0]
    (event,) = audited(ALICE)
    assert (event.action, event.outcome, event.subject, event.actor) == (
        "reconcile.order_fills",
        Outcome.FAILURE,
        ALICE,
        "reconciliation",
    )
    assert event.details == {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "broker": "paper",
        "ours_status": "accepted",
        "theirs_status": "filled",
        "ours_filled": "0",
        "theirs_filled": "2",
        "new_trade_ids": trade.trade_id,
    }
    filled = stored(ALICE, order.order_id)
    assert (filled.status, filled.filled_quantity, filled.trade_ids) == (
        OrderStatus.FILLED,
        Decimal(2),
        [trade.trade_id],
    )
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [m["OrderDifferences"] for m in emitted if "OrderDifferences" in m] == [[1.0]]
    # The fill completed the order: one OrdersFilled for its broker (a metric of its own, with its dimensions).
    (filled,) = [m for m in emitted if "OrdersFilled" in m]
    assert (filled["OrdersFilled"], filled["broker"]) == ([1.0], "paper")
    assert filled["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["broker", "service"]]

    assert sync() == summary(0, 0, 0)
    assert len(audited(ALICE)) == 1
    assert len(wiring.ledger().list_trades(ALICE, 100, None)[0]) == 1


def test_an_order_canceled_at_the_broker_is_audited_and_applied(run: Any, sync: Any) -> None:
    connect(ALICE)
    mark = paper().mark_price("SOL/USD")
    assert mark is not None
    order = rest(run, ALICE, "rest-1", (mark / 2).quantize(Decimal("0.01")))
    paper().account(ALICE).cancel_order(order.client_order_id)  # at the broker, not through us

    assert sync() == summary(1, 1, 1)

    (event,) = audited(ALICE)
    assert event.action == "reconcile.order_status"
    assert event.details == {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "broker": "paper",
        "ours_status": "accepted",
        "theirs_status": "canceled",
        "ours_filled": "0",
        "theirs_filled": "0",
    }
    assert stored(ALICE, order.order_id).status is OrderStatus.CANCELED
    assert sync() == summary(0, 0, 0)
    assert len(audited(ALICE)) == 1


def test_an_order_the_broker_does_not_know_is_audited_and_left_open(run: Any, sync: Any) -> None:
    connect(ALICE)
    mark = paper().mark_price("SOL/USD")
    assert mark is not None
    order = rest(run, ALICE, "rest-1", (mark / 2).quantize(Decimal("0.01")))
    forget_at_the_broker(ALICE, order)

    assert sync() == summary(1, 0, 1)

    (event,) = audited(ALICE)
    assert event.action == "reconcile.order_missing"
    assert event.details == {
        "order_id": order.order_id,
        "client_order_id": order.client_order_id,
        "broker": "paper",
        "ours_status": "accepted",
        "theirs_status": "missing",
        "ours_filled": "0",
    }
    assert stored(ALICE, order.order_id) == order
    assert [o.order_id for o in wiring.orders().open_orders(PAPER)] == [order.order_id]
    # Still a difference on the next run, and recorded again: it lasts until a person settles it.
    assert sync() == summary(1, 0, 1)
    assert [e.action for e in audited(ALICE)] == ["reconcile.order_missing"] * 2


def test_no_key_or_secret_reaches_an_audited_difference(
    run: Any, sync: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    connect(ALICE)
    mark = paper().mark_price("SOL/USD")
    assert mark is not None
    limit = (mark / 2).quantize(Decimal("0.01"))
    canceled = rest(run, ALICE, "rest-1", limit)
    lost = rest(run, ALICE, "rest-2", limit)
    paper().account(ALICE).cancel_order(canceled.client_order_id)
    forget_at_the_broker(ALICE, lost)
    assert wiring.vault_service().connected(ALICE, PAPER)  # checked and listed (the paper broker keeps none)

    assert sync() == summary(2, 1, 2)

    differences = audited(ALICE)
    assert sorted(e.action for e in differences) == ["reconcile.order_missing", "reconcile.order_status"]
    everything = json.dumps(
        [e.model_dump(mode="json") for e in wiring.audit_records().events_for(ALICE, limit=1000)]
    )
    logged = capsys.readouterr().out
    for secret in (API_KEY, API_SECRET, "CANARY"):
        assert secret not in everything
        assert secret not in logged


def test_a_claimed_order_not_yet_at_the_broker_is_not_called_missing(sync: Any) -> None:
    """Between the executor's claim and its submit the order is open and unknown at the broker."""
    connect(ALICE)
    request = OrderRequest.model_validate(
        {"broker": "paper", "symbol": "SOL/USD", "side": "buy", "type": "market", "quantity": "1"}
    )
    queued = orders.place_order(
        Principal(user_id=ALICE), request, "claimed", wiring.orders(), wiring.order_queue()
    )
    claimed, won = wiring.orders().claim_for_submission(stored(ALICE, queued.order_id))
    assert won and claimed.status is OrderStatus.SUBMITTED

    assert sync() == summary(1, 0, 0)
    assert audited(ALICE) == []
