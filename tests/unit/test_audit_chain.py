"""The audit trail's hash chains without AWS: canonical hashing, and the verifier naming the first
broken link of a tampered, gapped, reordered or relinked chain."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.audit_chain import (
    GENESIS,
    BreakReason,
    ChainedRecord,
    ChainState,
    ChainWalker,
    canonical,
    chain_hash,
    link,
    verify_chain,
)

USER = "u-1"
T0 = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def event(n: int, subject: str = USER, **details: str) -> AuditEvent:
    return AuditEvent(
        action="orders.place",
        outcome=Outcome.SUCCESS,
        subject=subject,
        actor=subject,
        details={"n": str(n), **details},
        source_ip="203.0.113.7",
        at=T0 + timedelta(seconds=n),
        event_id=f"e{n}",
    )


def chain(length: int, subject: str = USER) -> list[ChainedRecord]:
    records: list[ChainedRecord] = []
    for n in range(1, length + 1):
        records.append(link(event(n, subject), records[-1] if records else None))
    return records


def test_canonical_form_is_sorted_compact_json_of_every_field_seq_and_link() -> None:
    body = json.loads(canonical(event(1), 1, GENESIS))
    assert list(body) == sorted(body)
    assert body == {
        "action": "orders.place",
        "actor": USER,
        "at": "2026-01-02T03:04:06.678901Z",
        "details": {"n": "1"},
        "event_id": "e1",
        "outcome": "success",
        "prev_hash": GENESIS,
        "seq": 1,
        "source_ip": "203.0.113.7",
        "subject": USER,
    }
    assert b" " not in canonical(event(1), 1, GENESIS)
    expected = hashlib.sha256(canonical(event(1), 1, GENESIS)).hexdigest()
    assert chain_hash(event(1), 1, GENESIS) == expected


def test_hash_is_independent_of_detail_order_and_time_zone_spelling() -> None:
    a = event(1, b="2", a="1")
    b = a.model_copy(update={"details": {"a": "1", "n": "1", "b": "2"}})
    assert chain_hash(a, 1, GENESIS) == chain_hash(b, 1, GENESIS)
    plus_two = a.model_copy(update={"at": a.at.astimezone(timezone(timedelta(hours=2)))})
    assert chain_hash(a, 1, GENESIS) == chain_hash(plus_two, 1, GENESIS)


@pytest.mark.parametrize(
    "change",
    [
        {"action": "orders.cancel"},
        {"outcome": Outcome.FAILURE},
        {"actor": "someone-else"},
        {"details": {"n": "999"}},
        {"source_ip": None},
        {"at": T0},
        {"event_id": "other"},
    ],
)
def test_every_field_is_covered_by_the_hash(change: dict[str, object]) -> None:
    assert chain_hash(event(1).model_copy(update=change), 1, GENESIS) != chain_hash(event(1), 1, GENESIS)


def test_seq_and_prev_hash_are_covered_by_the_hash() -> None:
    assert chain_hash(event(1), 2, GENESIS) != chain_hash(event(1), 1, GENESIS)
    assert chain_hash(event(1), 1, "f" * 64) != chain_hash(event(1), 1, GENESIS)


def test_link_numbers_from_one_and_points_at_the_head() -> None:
    records = chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert [r.prev_hash for r in records[1:]] == [r.hash for r in records[:-1]]


def test_an_intact_chain_verifies() -> None:
    assert verify_chain(USER, chain(5)) is None
    assert verify_chain(USER, []) is None


def test_a_tampered_field_names_that_record() -> None:
    records = chain(5)
    records[2] = records[2].model_copy(
        update={"event": records[2].event.model_copy(update={"details": {"n": "3", "qty": "1000"}})}
    )
    broken = verify_chain(USER, records)
    assert broken is not None
    assert (broken.subject, broken.seq, broken.reason) == (USER, 3, BreakReason.HASH_MISMATCH)


def test_a_tampered_record_with_a_recomputed_hash_breaks_the_next_link() -> None:
    records = chain(5)
    forged_event = records[2].event.model_copy(update={"actor": "mallory"})
    records[2] = records[2].model_copy(
        update={"event": forged_event, "hash": chain_hash(forged_event, 3, records[2].prev_hash)}
    )
    broken = verify_chain(USER, records)
    assert broken is not None and (broken.seq, broken.reason) == (4, BreakReason.PREV_HASH_MISMATCH)


def test_a_deleted_record_is_a_gap_at_the_one_after_it() -> None:
    records = chain(5)
    del records[1]
    broken = verify_chain(USER, records)
    assert broken is not None and (broken.seq, broken.reason) == (3, BreakReason.GAP)


def test_a_deleted_first_record_is_a_gap_too() -> None:
    broken = verify_chain(USER, chain(3)[1:])
    assert broken is not None and (broken.seq, broken.reason) == (2, BreakReason.GAP)


def test_reordered_records_are_named() -> None:
    records = chain(5)
    records[1], records[2] = records[2], records[1]
    broken = verify_chain(USER, records)
    # seq 3 where 2 belongs: the first record out of place is named (a gap before it).
    assert broken is not None and (broken.seq, broken.reason) == (3, BreakReason.GAP)


def test_a_repeated_seq_is_out_of_order() -> None:
    records = chain(3)
    broken = verify_chain(USER, [*records, records[1]])
    assert broken is not None and (broken.seq, broken.reason) == (2, BreakReason.OUT_OF_ORDER)


def test_a_wrong_prev_hash_is_named() -> None:
    records = chain(4)
    wrong = records[3].model_copy(update={"prev_hash": "a" * 64})
    records[3] = wrong.model_copy(update={"hash": chain_hash(wrong.event, 4, wrong.prev_hash)})
    broken = verify_chain(USER, records)
    assert broken is not None and (broken.seq, broken.reason) == (4, BreakReason.PREV_HASH_MISMATCH)


def test_a_record_of_another_subject_in_this_chain_is_named() -> None:
    records = chain(2)
    records.append(link(event(3, subject="u-2"), records[-1]))
    broken = verify_chain(USER, records)
    assert broken is not None and (broken.seq, broken.reason) == (3, BreakReason.WRONG_CHAIN)


def test_the_walker_goes_through_chains_one_after_another_and_keeps_the_first_break() -> None:
    first, second, third = chain(3, "a"), chain(4, "b"), chain(2, "c")
    tampered = second[1].model_copy(update={"hash": "0" * 64})
    second[1] = tampered
    third[0] = third[0].model_copy(update={"prev_hash": "1" * 64})
    walker = ChainWalker()
    for subject, records in (("a", first), ("b", second), ("c", third)):
        for record in records:
            walker.feed(subject, record)
    assert walker.checked == 9
    assert not walker.ok
    assert walker.first_broken is not None
    assert (walker.first_broken.subject, walker.first_broken.seq) == ("b", 2)
    assert walker.first_broken.reason is BreakReason.HASH_MISMATCH


def test_a_break_is_named_once_not_at_every_record_after_it() -> None:
    records = chain(5)
    del records[1]
    walker = ChainWalker()
    found = [walker.feed(USER, r) for r in records]
    assert [f.seq for f in found if f is not None] == [3]


def test_a_walk_resumes_from_a_saved_state() -> None:
    records = chain(6)
    walker = ChainWalker(ChainState(subject=USER, seq=3, hash=records[2].hash))
    for record in records[3:]:
        assert walker.feed(USER, record) is None
    assert walker.checked == 3
    resumed_wrong = ChainWalker(ChainState(subject=USER, seq=3, hash="e" * 64))
    assert resumed_wrong.feed(USER, records[3]) is not None
