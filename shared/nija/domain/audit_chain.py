"""The audit trail's hash chains: pure, so that hashing and verification are tested without AWS.

Each subject (a user id, "email:<hash>" before a user is known, "platform:<scope>:<target>" for a
platform kill switch) has one chain. Its records are numbered 1, 2, ... (``seq``); each stores the hash of the record before it
(``prev_hash``; GENESIS for the first) and its own ``hash``: SHA-256 over the canonical serialization
of the event's fields, its seq and its prev_hash (sorted-key JSON, no whitespace, UTF-8). Changing any
field, removing a record or moving one breaks a link that ``ChainWalker`` names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from nija.domain.audit import AuditEvent
from nija.domain.models import Frozen

GENESIS = "0" * 64  # the prev_hash of a chain's first record
HASH_PATTERN = r"^[0-9a-f]{64}$"  # a record's hash: SHA-256, lower-case hex
MAX_SEQ = 10**12 - 1  # seqs are stored as 12 digits, so that their text sorts as their number


def canonical_time(at: datetime) -> str:
    """One spelling of an instant: UTC, microseconds, a Z (naive times are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: AuditEvent, seq: int, prev_hash: str) -> bytes:
    """The bytes a record's hash covers: every event field, its place in the chain and the link."""
    body: dict[str, Any] = {
        "action": event.action,
        "actor": event.actor,
        "at": canonical_time(event.at),
        "details": {str(k): str(v) for k, v in event.details.items()},
        "event_id": event.event_id,
        "outcome": event.outcome.value,
        "prev_hash": prev_hash,
        "seq": seq,
        "source_ip": event.source_ip,
        "subject": event.subject,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def chain_hash(event: AuditEvent, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical(event, seq, prev_hash)).hexdigest()


class ChainedRecord(Frozen):
    """An event at its place in its subject's chain."""

    event: AuditEvent
    seq: int
    prev_hash: str
    hash: str

    @property
    def subject(self) -> str:
        return self.event.subject


def link(event: AuditEvent, head: ChainedRecord | None) -> ChainedRecord:
    """The record that appends ``event`` after ``head`` (None: the chain is empty)."""
    seq, prev = (1, GENESIS) if head is None else (head.seq + 1, head.hash)
    return ChainedRecord(event=event, seq=seq, prev_hash=prev, hash=chain_hash(event, seq, prev))


class BreakReason(StrEnum):
    HASH_MISMATCH = "hash_mismatch"  # the record's content no longer matches its hash (tampered)
    PREV_HASH_MISMATCH = "prev_hash_mismatch"  # it does not point at the record before it
    GAP = "gap"  # a record is missing before this one (deleted)
    OUT_OF_ORDER = "out_of_order"  # a record repeats or goes back in the sequence (moved)
    WRONG_CHAIN = "wrong_chain"  # the record names another subject than the chain it is stored in
    TRUNCATED = "truncated"  # the record an anchor names is gone: the chain's newest records removed
    ANCHOR_MISMATCH = "anchor_mismatch"  # another record stands where an anchor names one (rewritten)


class Break(Frozen):
    """The first broken link of a chain."""

    subject: str
    seq: int
    reason: BreakReason


class ChainState(Frozen):
    """Where a walk stands in one chain: the last record checked (seq 0: none yet)."""

    subject: str
    seq: int = 0
    hash: str = GENESIS


class ChainWalker:
    """Checks records in chain order, one chain after another, and keeps the first break.

    Feed it every record of a chain in seq order (chains one after another, or resume a walk from a
    saved ``state``). The first break is kept; later records are still counted but not judged.
    """

    def __init__(self, state: ChainState | None = None) -> None:
        self.state = state
        self.checked = 0
        self.first_broken: Break | None = None

    def feed(self, subject: str, record: ChainedRecord) -> Break | None:
        """Check one record stored in ``subject``'s chain; returns the break it makes, if any."""
        if self.state is None or self.state.subject != subject:
            self.state = ChainState(subject=subject)
        self.checked += 1
        found = self._judge(subject, record, self.state)
        # After a break, go on from this record: one bad link is named once, not every record after it.
        self.state = ChainState(subject=subject, seq=record.seq, hash=record.hash)
        if found is not None and self.first_broken is None:
            self.first_broken = found
        return found

    @staticmethod
    def _judge(subject: str, record: ChainedRecord, state: ChainState) -> Break | None:
        def broken(reason: BreakReason) -> Break:
            return Break(subject=subject, seq=record.seq, reason=reason)

        if record.event.subject != subject:
            return broken(BreakReason.WRONG_CHAIN)
        if record.seq <= state.seq:
            return broken(BreakReason.OUT_OF_ORDER)
        if record.seq > state.seq + 1:
            return broken(BreakReason.GAP)
        if record.prev_hash != state.hash:
            return broken(BreakReason.PREV_HASH_MISMATCH)
        if chain_hash(record.event, record.seq, record.prev_hash) != record.hash:
            return broken(BreakReason.HASH_MISMATCH)
        return None

    @property
    def ok(self) -> bool:
        return self.first_broken is None


def verify_chain(subject: str, records: Iterable[ChainedRecord]) -> Break | None:
    """The first broken link of one whole chain (records in stored order), None when it holds."""
    walker = ChainWalker()
    for record in records:
        walker.feed(subject, record)
    return walker.first_broken
