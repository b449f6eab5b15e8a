"""The executor's Lambda handler on moto: orders go through the real FIFO queues and the paper broker.

Orders are placed with the same logic the API uses (nija.logic.orders.place_order), received from
the real queue and handed to the handler in the event Lambda's SQS source builds from them.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from kit import paper_orders

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.dynamo import keys
from nija.adapters.paper.broker import PaperBroker
from nija.config import get_settings
from nija.domain.messages import CancelOrder, parse_order_message
from nija.domain.models import BrokerName, Principal
from nija.domain.orders import Order, OrderStatus
from nija.local import identity
from nija.local.lambda_runtime import queue_arn, sqs_event
from nija.logic import orders
from nija.logic.orders import OrderRequest
from tests.kit import order_part

ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c22"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(ALICE, BOB),
]
REGION = "us-east-1"


# --- helpers ---------------------------------------------------------------------------------


def paper() -> PaperBroker:
    broker = wiring.broker(BrokerName.PAPER)
    assert isinstance(broker, PaperBroker)
    return broker


def fund(user: str, usd: str = "100000") -> None:
    paper().seed_balances(user, {"USD": Decimal(usd)})
    identity.connect_paper(user)


def place(user: str, key: str, **fields: Any) -> Order:
    """An order as the API places it: recorded as queued and sent to its broker's queue."""
    body = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    request = OrderRequest.model_validate({**body, **fields})
    return orders.place_order(
        Principal(user_id=user), request, key, wiring.orders(), wiring.order_queue(), wiring.telemetry()
    )


def receive(broker: str = "paper", *, dlq: bool = False) -> list[dict[str, Any]]:
    queue = get_settings().catalogue.queue(broker)
    return (
        client("sqs")
        .receive_message(
            QueueUrl=queue_url(queue.dlq_name if dlq else queue.name),
            MaxNumberOfMessages=10,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        .get("Messages", [])
    )


def batch(messages: list[dict[str, Any]], broker: str = "paper") -> dict[str, Any]:
    """The event Lambda's SQS source sends the broker's executor for these messages."""
    assert messages, "nothing was received"
    name = get_settings().catalogue.queue(broker).name
    return sqs_event(messages, queue_arn(REGION, name), REGION)


def deliver(run: Any, messages: list[dict[str, Any]], broker: str = "paper") -> dict[str, Any]:
    """What the SQS event source does: invoke with a batch, then delete what did not fail."""
    result: dict[str, Any] = run(batch(messages, broker))
    failed = failures(result)
    url = queue_url(get_settings().catalogue.queue(broker).name)
    for m in messages:
        if m["MessageId"] not in failed:
            client("sqs").delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return result


def release(messages: list[dict[str, Any]], broker: str = "paper") -> None:
    """Make failed messages visible again at once instead of after the visibility timeout."""
    url = queue_url(get_settings().catalogue.queue(broker).name)
    for m in messages:
        client("sqs").change_message_visibility(
            QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
        )


def stored(user: str, order_id: str) -> Order:
    order = wiring.orders().get_order(user, order_id)
    assert order is not None
    return order


def trades(user: str) -> list[Any]:
    return wiring.ledger().list_trades(user, 100, None)[0]


def failures(result: dict[str, Any]) -> set[str]:
    return {f["itemIdentifier"] for f in result["batchItemFailures"]}


# --- tests -----------------------------------------------------------------------------------


def test_an_order_is_filled_and_recorded_once_however_often_it_is_delivered(executor) -> None:
    fund(ALICE)
    order = place(ALICE, "buy-1")
    messages = receive()
    run = executor("paper")

    assert deliver(run, messages) == {"batchItemFailures": []}

    assert receive() == []
    done = stored(ALICE, order.order_id)
    assert done.status is OrderStatus.FILLED
    assert done.filled_quantity == Decimal("0.01") and done.broker_order_id
    assert done.average_fill_price is not None and done.fees > 0
    (trade,) = trades(ALICE)
    assert (trade.order_id, trade.quantity, trade.price, trade.fee) == (
        order.order_id,
        Decimal("0.01"),
        done.average_fill_price,
        done.fees,
    )
    position = wiring.ledger().get_position(ALICE, BrokerName.PAPER, "BTC/USD")
    assert position is not None
    assert (position.quantity, position.average_price) == (Decimal("0.01"), done.average_fill_price)
    usd = Decimal("100000") - trade.quantity * trade.price - trade.fee
    balances = paper().account(ALICE).balances()
    assert (balances["BTC"].total, balances["USD"].total) == (Decimal("0.01"), usd)

    for _ in range(3):  # the same batch redelivered (a lost delete, a timed-out invocation)
        assert run(batch(messages)) == {"batchItemFailures": []}

    assert len(paper_orders(ALICE)) == 1
    assert trades(ALICE) == [trade]
    assert stored(ALICE, order.order_id) == done
    assert wiring.ledger().get_position(ALICE, BrokerName.PAPER, "BTC/USD") == position
    balances = paper().account(ALICE).balances()
    assert (balances["BTC"].total, balances["USD"].total) == (Decimal("0.01"), usd)


def test_the_sample_fifo_batch(executor, load_event) -> None:
    """events/executor/sqs_fifo_batch.json: two users, three orders, processed in one batch."""
    event = load_event("executor/sqs_fifo_batch", user_a=ALICE, user_b=BOB)
    assert {r["eventSourceARN"].rsplit(":", 1)[1] for r in event["Records"]} == {
        get_settings().catalogue.queue("paper").name
    }
    fund(ALICE)
    fund(BOB)

    assert executor("paper")(event) == {"batchItemFailures": []}

    for user, symbols in ((ALICE, {"BTC/USD", "SOL/USD"}), (BOB, {"ETH/USD"})):
        placed = wiring.orders().list_orders(user, 10, None)[0]
        assert {o.symbol for o in placed} == symbols
        assert {o.status for o in placed} == {OrderStatus.FILLED}
        assert len(trades(user)) == len(symbols)
    for record in event["Records"]:
        intent = parse_order_message(record["body"]).intent  # type: ignore[union-attr]
        assert record["attributes"]["MessageGroupId"] == intent.user_id
        assert record["attributes"]["MessageDeduplicationId"] == intent.intent_id


def test_messages_that_can_never_succeed_go_to_the_dlq_and_block_nobody(executor, load_event) -> None:
    """An invalid body, and a coinbase order that reached the paper queue, in one batch with Bob's
    order: both are quarantined with their reason (not failed, so never retried), Bob's fills."""
    fund(BOB)
    stray_order = place(ALICE, "lost-1", broker="coinbase")
    (stray,) = receive("coinbase")
    bobs = place(BOB, "bob-1")
    (invalid,) = load_event("executor/sqs_invalid_body", user_id=ALICE)["Records"]
    event = batch([stray, *receive()])
    event["Records"].insert(0, {**invalid, "eventSourceARN": event["Records"][0]["eventSourceARN"]})

    result = executor("paper")(event)

    assert result == {"batchItemFailures": []}
    assert stored(BOB, bobs.order_id).status is OrderStatus.FILLED
    assert stored(ALICE, stray_order.order_id).status is OrderStatus.QUEUED
    dead = {m["Body"]: m for m in receive(dlq=True)}
    assert set(dead) == {invalid["body"], stray["Body"]}
    for m in dead.values():
        assert m["Attributes"]["MessageGroupId"] == ALICE
        assert m["MessageAttributes"]["nija_error"]["DataType"] == "String"
    assert dead[invalid["body"]]["MessageAttributes"]["nija_error"]["StringValue"].startswith(
        "invalid order message"
    )
    assert dead[stray["Body"]]["MessageAttributes"]["nija_error"]["StringValue"] == (
        "message for coinbase arrived at the paper queue"
    )


def lost_order_then_cancel() -> tuple[Order, Order, Order]:
    """Alice's order that an executor claimed and died on before calling the broker, its place
    message gone (it ran out of receives), and then her cancel of it; Bob's order and another of
    Alice's queued behind. Returns (lost, bob's, alice's next)."""
    fund(ALICE)
    fund(BOB)
    lost = place(ALICE, "alice-1")
    (first,) = receive()
    wiring.orders().claim_for_submission(lost)
    queue = get_settings().catalogue.queue("paper")
    client("sqs").delete_message(QueueUrl=queue_url(queue.name), ReceiptHandle=first["ReceiptHandle"])
    canceling = orders.cancel_order(
        Principal(user_id=ALICE), lost.order_id, wiring.orders(), wiring.order_queue()
    )
    assert (canceling.status, canceling.cancel_requested) == (OrderStatus.SUBMITTED, True)
    return lost, place(BOB, "bob-1"), place(ALICE, "alice-2")


def corrupt_paper_balance(user: str) -> None:
    """Damage one user's paper book for real (a balance that is not a number), so every order of
    hers fails in the executor with an unexpected error while everyone else's state is sound."""
    client("dynamodb").update_item(
        TableName=get_settings().catalogue.state_table.name,
        Key={"pk": {"S": keys.paper_pk(user)}, "sk": {"S": keys.paper_balance_sk("USD")}},
        UpdateExpression="SET #t = :bad",
        ExpressionAttributeNames={"#t": "total"},
        ExpressionAttributeValues={":bad": {"S": "not-a-number"}},
    )


def test_a_failing_user_group_does_not_block_other_users(executor) -> None:
    """Alice's orders fail in the executor: her group is skipped and retried, Bob's order fills.

    The message comes back, and so does every later message of her FIFO group in the batch, until
    the queue's max receive count moves them to the DLQ. Nothing is lost, and Bob never waits for her.
    """
    fund(ALICE)
    fund(BOB)
    alices_first = place(ALICE, "alice-1")
    bobs = place(BOB, "bob-1")
    alices_next = place(ALICE, "alice-2")
    corrupt_paper_balance(ALICE)
    queue = get_settings().catalogue.queue("paper")
    run = executor("paper")

    messages = receive()
    kinds = {m["MessageId"]: parse_order_message(m["Body"]) for m in messages}
    result = deliver(run, messages)

    failed = {kinds[i].intent.intent_id for i in failures(result)}  # type: ignore[union-attr]
    assert failed == {
        alices_first.order_id,
        alices_next.order_id,
    }  # the second is skipped: FIFO order is kept
    assert stored(BOB, bobs.order_id).status is OrderStatus.FILLED
    assert stored(ALICE, alices_next.order_id).status is OrderStatus.QUEUED

    pending = [m for m in messages if m["MessageId"] in failures(result)]
    for _ in range(queue.max_receive_count - 1):
        release(pending)  # back on the queue once their visibility timeout ends
        pending = receive()
        assert len(pending) == 2
        with pytest.raises(BatchProcessingError):  # every record failed: the invocation fails
            run(batch(pending))
    release(pending)

    # Both have used up the queue's receives: SQS moves them to the DLQ, where operators see them.
    assert receive() == []
    dead = receive(dlq=True)
    assert [m["Attributes"]["MessageGroupId"] for m in dead] == [ALICE, ALICE]
    assert [parse_order_message(m["Body"]).intent.intent_id for m in dead] == [  # type: ignore[union-attr]
        alices_first.order_id,
        alices_next.order_id,
    ]
    # Claimed before the broker call, never placed: a redrive finds it and looks it up first.
    assert stored(ALICE, alices_first.order_id).status is OrderStatus.SUBMITTED
    assert paper_orders(ALICE) == []
    assert stored(BOB, bobs.order_id).status is OrderStatus.FILLED


def test_a_cancel_the_broker_refuses_for_good_does_not_poison_the_users_group(executor) -> None:
    lost, bobs, alices_next = lost_order_then_cancel()

    result = deliver(executor("paper"), receive())

    assert result == {"batchItemFailures": []}
    assert stored(ALICE, alices_next.order_id).status is OrderStatus.FILLED
    assert stored(ALICE, lost.order_id).status.is_terminal
    assert stored(BOB, bobs.order_id).status is OrderStatus.FILLED


def test_refusals_are_recorded_as_rejected_with_their_reason(executor) -> None:
    """Insufficient funds at the paper broker; a coinbase order with no coinbase account."""
    fund(ALICE, "100")
    too_big = place(ALICE, "too-big", quantity="1")
    no_account = place(ALICE, "cb-1", broker="coinbase")

    assert deliver(executor("paper"), receive()) == {"batchItemFailures": []}
    assert deliver(executor("coinbase"), receive("coinbase"), "coinbase") == {"batchItemFailures": []}

    for order, reason in ((too_big, "insufficient_capital"), (no_account, "broker_not_connected")):
        rejected = stored(ALICE, order.order_id)
        assert (rejected.status, rejected.reason_code) == (OrderStatus.REJECTED, reason)
        assert rejected.reason_message and rejected.filled_quantity == 0
    assert trades(ALICE) == [] and paper_orders(ALICE) == []
    assert wiring.ledger().list_positions(ALICE) == []
    assert paper().account(ALICE).balances()["USD"].free == Decimal("100")
    assert wiring.orders().open_orders(BrokerName.PAPER) == []


def test_canceling_a_resting_order_releases_its_funds(executor) -> None:
    fund(ALICE)
    mark = paper().mark_price("SOL/USD")
    assert mark is not None
    limit = (mark / 2).quantize(Decimal("0.01"))
    order = place(ALICE, "rest-1", symbol="SOL/USD", type="limit", quantity="2", limit_price=str(limit))
    run = executor("paper")
    assert deliver(run, receive()) == {"batchItemFailures": []}
    assert stored(ALICE, order.order_id).status is OrderStatus.ACCEPTED
    assert paper().account(ALICE).balances()["USD"].free < Decimal("100000")

    orders.cancel_order(Principal(user_id=ALICE), order.order_id, wiring.orders(), wiring.order_queue())
    (cancel,) = receive()
    assert isinstance(parse_order_message(cancel["Body"]), CancelOrder)
    assert deliver(run, [cancel]) == {"batchItemFailures": []}

    canceled = stored(ALICE, order.order_id)
    assert (canceled.status, canceled.cancel_requested) == (OrderStatus.CANCELED, True)
    assert paper().account(ALICE).balances()["USD"].free == Decimal("100000")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def test_a_resting_limit_order_fills_on_the_sync_schedule(
    executor, load_event, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paper feed follows the clock, so the broker gets one the test can move: the same
    PaperBroker the platform builds (from_settings), served through nija.wiring."""
    clock = Clock(datetime(2026, 11, 25, 21, 0, tzinfo=UTC))
    timed = PaperBroker.from_settings(clock=clock)
    real_broker = wiring.broker

    @functools.cache
    def broker(name: BrokerName) -> Any:
        return timed if name is BrokerName.PAPER else real_broker(name)

    monkeypatch.setattr(wiring.container(), "broker", broker)
    fund(ALICE)
    mark = timed.mark_price("SOL/USD")
    assert mark is not None
    limit = (mark * Decimal("0.9")).quantize(Decimal("0.01"))
    start = clock.now
    crossing = next(
        start + timedelta(minutes=m)
        for m in range(1, 21 * 24 * 60)
        if timed.feed.price("SOL/USD", start + timedelta(minutes=m)) <= limit
    )
    order = place(ALICE, "dip-1", symbol="SOL/USD", type="limit", quantity="2", limit_price=str(limit))
    deployed = executor("paper")
    sync = load_event("executor/scheduled_sync")

    def run(event: Any) -> Any:
        return order_part(deployed(event)) if event is sync else deployed(event)

    assert deliver(run, receive()) == {"batchItemFailures": []}
    assert stored(ALICE, order.order_id).status is OrderStatus.ACCEPTED
    assert run(sync) == {"broker": "paper", "open": 1, "changed": 0, "order_differences": 0, "differences": 0}
    assert stored(ALICE, order.order_id).status is OrderStatus.ACCEPTED

    clock.now = crossing
    assert run(sync) == {"broker": "paper", "open": 1, "changed": 1, "order_differences": 1, "differences": 0}

    filled = stored(ALICE, order.order_id)
    assert (filled.status, filled.filled_quantity, filled.average_fill_price) == (
        OrderStatus.FILLED,
        Decimal("2"),
        limit,
    )
    (trade,) = trades(ALICE)
    assert (trade.order_id, trade.price) == (order.order_id, limit)
    position = wiring.ledger().get_position(ALICE, BrokerName.PAPER, "SOL/USD")
    assert position is not None and (position.quantity, position.average_price) == (Decimal("2"), limit)
    assert run(sync) == {"broker": "paper", "open": 0, "changed": 0, "order_differences": 0, "differences": 0}
    assert len(trades(ALICE)) == 1
