"""Anchors: each chain's head, copied out of DynamoDB to write-once storage, so that removing a chain's
newest records (truncation) or rewriting a chain from some record on (every later hash recomputed)
is caught. A hash chain alone proves neither: what is left of it still links.

An anchor holds, for every chain it knows, the seq and hash of its newest record at the anchor's
``cut``, and the digest of the anchor before it (anchors chain too). Each anchor starts from the one
before and moves a chain's head forward only along links that hold from the head it had, so a
tampered chain keeps its old head and stays named (nija.logic.audit_anchor). Pure: the anchoring job
reads and writes, this decides.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta

from nija.domain.audit_chain import Break, BreakReason, ChainedRecord, canonical_time
from nija.domain.models import Frozen

ANCHOR_EVERY = timedelta(hours=1)  # the anchoring schedule (the CDK app's rule, the local stack's)
# Anchor only events this old: the by-time index is eventually consistent.
SETTLE = timedelta(minutes=5)
# A record appended more than this after its event happened is late: it leaves a marker by the time
# it was appended, because each anchoring reads the by-time index only since the last cut. Well under
# SETTLE, so that the index has minutes to show every record that is not late.
LATE_AFTER = timedelta(minutes=1)


def is_late(event_at: datetime, appended: datetime) -> bool:
    return appended - event_at > LATE_AFTER


# Every anchor is a new version of this one object, so that IAM names the object: no wildcard.
ANCHOR_KEY = "audit-anchor.json"


class Head(Frozen):
    seq: int
    hash: str


class Anchor(Frozen):
    cut: datetime  # the records of events up to this instant, as the by-time index held them
    heads: dict[str, Head]
    previous: str | None = None  # the digest of the anchor before this one

    def digest(self) -> str:
        body = {
            "cut": canonical_time(self.cut),
            "heads": {s: [h.seq, h.hash] for s, h in sorted(self.heads.items())},
            "previous": self.previous,
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def against_anchor(subject: str, head: Head, stored: ChainedRecord | None) -> Break | None:
    """Whether the chain still holds the record its anchor names: None when it does; `truncated`
    when that record is gone; `anchor_mismatch` when a record with other content stands there."""
    if stored is None or stored.seq != head.seq:
        return Break(subject=subject, seq=head.seq, reason=BreakReason.TRUNCATED)
    if stored.hash != head.hash:
        return Break(subject=subject, seq=head.seq, reason=BreakReason.ANCHOR_MISMATCH)
    return None


def follows(before: Anchor, after: Anchor) -> str | None:
    """Why `after` cannot be the anchor put next after `before`, or None when it can: it names
    `before`'s digest, cuts later, and keeps every chain at or past the head `before` had."""
    if after.previous != before.digest():
        return "it does not name the digest of the anchor before it"
    if after.cut <= before.cut:
        return "its cut is not after the cut of the anchor before it"
    for subject, head in sorted(before.heads.items()):
        later = after.heads.get(subject)
        if later is None or later.seq < head.seq:
            return f"chain {subject} went back from seq {head.seq}"
    return None
