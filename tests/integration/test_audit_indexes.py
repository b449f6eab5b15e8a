"""The audit table's indexes hold keys (gsi2 the actor too), as the catalogue says and moto serves them;
the reads that use them get whole records from the table by key, and anchoring reads no record."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import boto3
import pytest
from audit_events import T0, event

from nija import wiring
from nija.adapters.dynamo.audit import AuditRecords
from nija.adapters.dynamo.audit_models import AuditItem
from nija.catalogue import AUDIT_INDEXES, KEYS_ONLY
from nija.config import get_settings, reset_settings
from nija.local.provision import create_anchor_bucket

ALICE, BOB = "a11ce000-0000-4000-8000-00000000000a", "b0b00000-0000-4000-8000-00000000000b"
TABLE_KEYS = {"pk", "sk"}


@pytest.fixture
def records(aws: None) -> AuditRecords:
    log = AuditRecords()
    for n in range(1, 6):
        log.record(event(ALICE, n))
    for n in range(1, 4):
        log.record(event(BOB, n, at=T0 + timedelta(minutes=n, seconds=30)))
    return log


@contextmanager
def dynamodb_calls() -> Iterator[Counter[str]]:
    """Every DynamoDB operation the audit table's connection makes meanwhile, counted by name."""
    calls: Counter[str] = Counter()
    client = AuditItem._get_connection().connection.client

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    client.meta.events.register("before-call.dynamodb", count)
    try:
        yield calls
    finally:
        client.meta.events.unregister("before-call.dynamodb", count)


def test_moto_creates_the_audit_indexes_as_the_catalogue_projects_them(aws: None) -> None:
    table = get_settings().catalogue.audit_table
    described = boto3.client("dynamodb").describe_table(TableName=table.name)["Table"]
    projections = {i["IndexName"]: i["Projection"] for i in described["GlobalSecondaryIndexes"]}
    assert projections == {
        "gsi1": {"ProjectionType": "KEYS_ONLY"},
        "gsi2": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["actor"]},
        "gsi3": {"ProjectionType": "KEYS_ONLY"},
        "gsi4": {"ProjectionType": "KEYS_ONLY"},
    }
    assert table.indexes == AUDIT_INDEXES


@pytest.mark.parametrize("index", AUDIT_INDEXES, ids=lambda i: i.name)
def test_an_index_returns_only_what_it_projects(records: AuditRecords, index: Any) -> None:
    table = get_settings().catalogue.audit_table
    partition = {"gsi1": "AUDIT", "gsi2": f"AUDIT#{ALICE}", "gsi3": "CHAINS", "gsi4": f"ACTOR#{ALICE}"}
    found = boto3.client("dynamodb").query(
        TableName=table.name,
        IndexName=index.name,
        KeyConditionExpression="#pk = :pk",
        ExpressionAttributeNames={"#pk": index.partition_key.name},
        ExpressionAttributeValues={":pk": {"S": partition[index.name]}},
    )["Items"]
    assert found
    expected = TABLE_KEYS | {index.partition_key.name, index.sort_key.name} | set(index.include)
    assert {name for item in found for name in item} == expected
    assert index.projection == KEYS_ONLY or index.include == ("actor",)


def test_search_reads_whole_records_by_key_in_the_index_order(records: AuditRecords) -> None:
    chains = {s: [r for _, r in records.chain(s, 0, 100)] for s in (ALICE, BOB)}
    with dynamodb_calls() as calls:
        everyone, _ = records.search(None, None, None, 100, None)
    assert calls == Counter({"Query": 1, "BatchGetItem": 1})  # one page: one query, one batch read
    newest_first = sorted(
        [*chains[ALICE], *chains[BOB]], key=lambda r: (r.event.at, r.event.subject), reverse=True
    )
    assert everyone == newest_first  # hash, links, details and all
    mine, _ = records.search(ALICE, T0 + timedelta(minutes=4), None, 100, None, actor=ALICE)
    assert mine == chains[ALICE][:2:-1]


def test_events_since_a_time_come_whole_newest_first(records: AuditRecords) -> None:
    events = records.events_for(ALICE, since=T0 + timedelta(minutes=3))
    assert [e.details["n"] for e in events] == ["5", "4", "3"]
    assert events == [r.event for _, r in records.chain(ALICE, 2, 100)][::-1]


def test_every_chain_is_read_a_run_at_a_time(records: AuditRecords) -> None:
    with dynamodb_calls() as calls:
        rows = records.all_chains(None, 100)
    # The index query, then one query of each chain's run: not one read per record.
    assert calls == Counter({"Query": 3})
    expected = [(s, r) for s in sorted((ALICE, BOB)) for _, r in records.chain(s, 0, 100)]
    assert rows == expected
    assert records.all_chains((ALICE, 4), 2) == expected[4:6]  # Alice's last, Bob's first


def test_anchoring_finds_what_changed_from_the_index_keys_alone(
    records: AuditRecords, monkeypatch: pytest.MonkeyPatch
) -> None:
    positions, token = records.record_positions(None, None, 100, None)
    assert token is None
    assert sorted(positions) == [(ALICE, n) for n in range(1, 6)] + [(BOB, n) for n in range(1, 4)]
    monkeypatch.setenv("NIJA_AUDIT_ANCHOR_BUCKET", create_anchor_bucket(get_settings().catalogue))
    reset_settings()
    anchoring = wiring.audit_anchoring()
    assert anchoring is not None
    with dynamodb_calls() as calls:
        done = anchoring.anchor(now=T0 + timedelta(hours=1))
    assert {s: h.seq for s, h in done.anchor.heads.items()} == {ALICE: 5, BOB: 3}
    # The index's keys name the chains that changed; each chain is then read along its links.
    assert calls == Counter({"Query": 1 + 2})
