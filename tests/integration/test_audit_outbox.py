"""The audit outbox on moto: a state write and its audit event are stored together or not at all,
and the audit writer function, fed by the state table's stream, appends each event to its chain
once, in the order of the writes, whatever is delivered twice; a record it cannot append fails its
batch from there (it is retried, never skipped)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from members import member

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.dynamo.keys import OUTBOX_PREFIX, outbox_pk, outbox_sk
from nija.adapters.dynamo.outbox_records import is_outbox
from nija.config import get_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.audit_chain import verify_chain
from nija.domain.errors import Conflict
from nija.domain.models import BrokerName, Principal, Side
from nija.domain.orders import OrderStatus
from nija.local.lambda_runtime import LambdaContext, load_function
from nija.local.streams import plain_keys, stream_event
from nija.logic import orders
from nija.logic.orders import OrderRequest, order_event

ALICE = "a11ce000-0000-4000-8000-00000000a0d1"
pytestmark = pytest.mark.members(ALICE)


def _outbox(subject: str) -> list[dict[str, Any]]:
    return client("dynamodb").query(
        TableName=get_settings().catalogue.state_table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": outbox_pk(subject)}},
    )["Items"]


def _place(key: str | None = "k1") -> Any:
    request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side=Side.BUY, quantity=Decimal(1))
    return orders.place_order(Principal(user_id=ALICE), request, key, wiring.orders(), wiring.order_queue())


def _chain(subject: str) -> list[AuditEvent]:
    return [r.event for _, r in wiring.audit_records().chain(subject, 0, 1000)]


def test_a_write_and_its_event_are_stored_together_or_not_at_all(aws: None) -> None:
    placed = _place()
    assert len(_outbox(ALICE)) == 1
    assert _place().order_id == placed.order_id  # the retry writes no order, so no event
    assert len(_outbox(ALICE)) == 1

    stale = placed.model_copy(update={"status": OrderStatus.REJECTED})
    event = order_event("orders.reject", stale, "executor")
    with pytest.raises(Conflict):  # its condition fails: neither the order nor the event is written
        wiring.orders().save_order(stale, OrderStatus.SUBMITTED, 0, audit=event)
    assert len(_outbox(ALICE)) == 1
    assert wiring.orders().get_order(ALICE, placed.order_id).status is OrderStatus.QUEUED  # type: ignore[union-attr]


def test_the_writer_appends_each_event_once_in_the_order_written(audit_writer: Callable[[], None]) -> None:
    wiring.audit_records().record(
        AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=ALICE, actor=ALICE)
    )
    placed = _place()
    orders.cancel_order(Principal(user_id=ALICE), placed.order_id, wiring.orders(), wiring.order_queue())
    audit_writer()
    audit_writer()  # the same stream records again: a retried batch
    actions = [e.action for e in _chain(ALICE)]
    assert actions == ["auth.login", "orders.place", "orders.cancel"]
    cancel = _chain(ALICE)[-1]
    assert (cancel.details["order_id"], cancel.details["status"]) == (placed.order_id, "canceled")
    records = [r for _, r in wiring.audit_records().chain(ALICE, 0, 1000)]
    assert verify_chain(ALICE, records) is None


def _stream_records() -> tuple[list[dict[str, Any]], str]:
    streams = client("dynamodbstreams")
    arn = client("dynamodb").describe_table(TableName=get_settings().catalogue.state_table.name)["Table"][
        "LatestStreamArn"
    ]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        it = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )
        records += streams.get_records(ShardIterator=it["ShardIterator"])["Records"]
    return [r for r in records if is_outbox(plain_keys(r))], arn


def test_a_record_it_cannot_append_fails_the_batch_from_there(aws: None) -> None:
    first = _place("k1")
    # An outbox item whose keys do not match its event: written by hand, as no code of ours would.
    event = AuditEvent(action="orders.place", outcome=Outcome.SUCCESS, subject=ALICE, actor=ALICE)
    client("dynamodb").put_item(
        TableName=get_settings().catalogue.state_table.name,
        Item={
            "pk": {"S": f"{OUTBOX_PREFIX}{ALICE}"},
            "sk": {"S": outbox_sk("not-" + event.event_id)},
            "event": {"S": event.model_dump_json()},
        },
    )
    _place("k2")  # the same chain, after the bad one
    records, arn = _stream_records()
    assert len(records) == 3
    writer = load_function("audit_writer", "outbox-test")
    result = writer.handler(stream_event(records, arn, get_settings().region), LambdaContext("audit-writer"))
    failed = [f["itemIdentifier"] for f in result["batchItemFailures"]]
    sequence = [r["dynamodb"]["SequenceNumber"] for r in records]
    # The bad one is reported, so retried; so is the next of the same chain, to keep the chain's order
    assert sorted(failed) == sorted(sequence[1:])
    appended = [e.details["order_id"] for e in _chain(ALICE)]
    assert appended == [first.order_id]  # the one before it is in, the one after waits


def test_an_operator_flushes_every_outbox_into_the_chains_once(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from nija.cli import main

    bob = "b0b00000-0000-4000-8000-00000000a0d2"
    member(bob)
    placed = _place()
    orders.cancel_order(Principal(user_id=ALICE), placed.order_id, wiring.orders(), wiring.order_queue())
    request = OrderRequest(broker=BrokerName.PAPER, symbol="ETH/USD", side=Side.BUY, quantity=Decimal(1))
    orders.place_order(Principal(user_id=bob), request, None, wiring.orders(), wiring.order_queue())

    assert main(["audit", "flush-outbox"]) == 0
    assert "appended 3 event(s) of 2 chain(s)" in capsys.readouterr().out
    assert [e.action for e in _chain(ALICE)] == ["orders.place", "orders.cancel"]
    assert [e.action for e in _chain(bob)] == ["orders.place"]
    assert main(["audit", "flush-outbox", "--user", ALICE]) == 0  # again: nothing twice
    assert "appended 0 event(s) of 1 chain(s)" in capsys.readouterr().out
    assert len(_chain(ALICE)) == 2


def test_a_writer_whose_remembered_head_moved_on_relinks_after_the_new_one(aws: None) -> None:
    """The writer remembers the head it appended; another writer's append in between makes that stale:
    the put's condition fails, the writer reads the new head, and the chain stays whole."""
    from nija.adapters.dynamo.audit import AuditRecords

    writer, other = AuditRecords(), AuditRecords()

    def event(n: int) -> AuditEvent:
        return AuditEvent(
            action="t.e", outcome=Outcome.SUCCESS, subject=ALICE, actor=ALICE, details={"n": str(n)}
        )

    assert writer.append_once(event(1)) is not None  # remembered: seq 1
    other.append(event(2))  # seq 2, behind the writer's back
    third = writer.append_once(event(3))
    assert third is not None and third.seq == 3
    records = [r for _, r in wiring.audit_records().chain(ALICE, 0, 100)]
    assert [r.event.details["n"] for r in records] == ["1", "2", "3"]
    assert verify_chain(ALICE, records) is None
