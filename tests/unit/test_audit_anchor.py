"""Anchors of the audit chains (nija.domain.audit_anchor): the digest covers every head, the cut and
the link to the anchor before, and a chain that lost or rewrote its anchored record is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.audit_anchor import Anchor, Head, against_anchor, follows
from nija.domain.audit_chain import BreakReason, ChainedRecord, link

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def chain(subject: str, n: int, action: str = "orders.place") -> list[ChainedRecord]:
    records: list[ChainedRecord] = []
    for i in range(n):
        event = AuditEvent(
            action=action,
            outcome=Outcome.SUCCESS,
            subject=subject,
            actor=subject,
            at=T0 + timedelta(minutes=i),
        )
        records.append(link(event, records[-1] if records else None))
    return records


def test_the_digest_covers_every_head_the_cut_and_the_link() -> None:
    a = chain("a", 2)
    anchor = Anchor(cut=T0, heads={"a": Head(seq=2, hash=a[1].hash)})
    assert anchor.digest() == Anchor.model_validate_json(anchor.model_dump_json()).digest()  # as stored
    changed = [
        anchor.model_copy(update={"cut": T0 + timedelta(seconds=1)}),
        anchor.model_copy(update={"heads": {"a": Head(seq=1, hash=a[0].hash)}}),
        anchor.model_copy(update={"previous": "0" * 64}),
    ]
    assert len({anchor.digest(), *(c.digest() for c in changed)}) == 4


def test_a_chain_is_judged_against_its_anchored_head() -> None:
    a = chain("a", 3)
    head = Head(seq=3, hash=a[2].hash)
    assert against_anchor("a", head, a[2]) is None
    truncated = against_anchor("a", head, None)  # the newest records removed: what is left still links
    assert truncated is not None and (truncated.seq, truncated.reason) == (3, BreakReason.TRUNCATED)
    rewritten = chain(
        "a", 3, action="orders.cancel"
    )  # every hash recomputed: it links, but not to the anchor
    mismatch = against_anchor("a", head, rewritten[2])
    assert mismatch is not None and mismatch.reason == BreakReason.ANCHOR_MISMATCH
    later = against_anchor("a", head, a[2].model_copy(update={"seq": 4}))  # seq 3 gone, 4 read instead
    assert later is not None and later.reason == BreakReason.TRUNCATED


def test_an_anchor_follows_the_one_before_only_forward() -> None:
    a = chain("a", 3)
    first = Anchor(cut=T0, heads={"a": Head(seq=2, hash=a[1].hash)})
    second = Anchor(
        cut=T0 + timedelta(hours=1), heads={"a": Head(seq=3, hash=a[2].hash)}, previous=first.digest()
    )
    assert follows(first, second) is None
    assert follows(first, second.model_copy(update={"previous": None})) is not None
    assert follows(first, second.model_copy(update={"cut": T0})) is not None
    back = second.model_copy(update={"heads": {"a": Head(seq=1, hash=a[0].hash)}})
    assert follows(first, back) == "chain a went back from seq 2"
    assert follows(first, second.model_copy(update={"heads": {}})) == "chain a went back from seq 2"
