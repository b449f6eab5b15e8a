"""Anchoring the audit chains: the scheduled job that copies each chain's head to write-once storage,
and the checks of a chain, or of every anchored chain, against the latest anchor."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from nija.domain.audit_anchor import SETTLE, Anchor, Head, against_anchor, follows
from nija.domain.audit_chain import Break, ChainState, ChainWalker
from nija.domain.models import utcnow
from nija.ports.audit import AnchorStore, AuditReader

# Each run reads only what is new: the by-time index from the last cut on (events older than SETTLE,
# the index being eventually consistent), and the records appended since then long after their
# event (the audit writer retries one for as long as the stream keeps it, 24 h; `nija audit
# flush-outbox` appends later still), which leave a marker by the time they were appended.
PAGE = 1000


@dataclass(frozen=True)
class Anchoring:
    """What one run did: the anchor it put, where, and the chains that kept their old head because
    they no longer hold it (each one's first break)."""

    anchor: Anchor
    key: str
    broken: list[Break] = field(default_factory=list)


@dataclass
class AuditAnchoring:
    reader: AuditReader
    anchors: AnchorStore

    def anchor(self, now: datetime | None = None) -> Anchoring:
        """Put the next anchor: the latest one's heads, each chain's moved to its newest record, along
        links checked from the head it had (consistent reads). A chain that no longer holds its
        anchored head, or whose new records do not link to it, keeps the old head and is reported."""
        previous = self.anchors.latest()
        now = now or utcnow()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        cut = now - SETTLE
        since = previous.cut if previous is not None else None
        heads = dict(previous.heads) if previous is not None else {}
        broken: list[Break] = []
        changed = self._changed(since, cut)
        if since is not None:
            for subject, seq in self.reader.late_positions(since, now):
                changed[subject] = max(changed.get(subject, 0), seq)
        for subject, newest in sorted(changed.items()):
            # Even when no newer record is seen: a chain with new records still holds its old head?
            moved = self._follow(subject, heads.get(subject), newest)
            if isinstance(moved, Break):
                broken.append(moved)
            elif moved is not None:
                heads[subject] = moved
        anchor = Anchor(cut=cut, heads=heads, previous=previous.digest() if previous is not None else None)
        return Anchoring(anchor, self.anchors.put(anchor), broken)

    def _changed(self, since: datetime | None, until: datetime) -> dict[str, int]:
        """Each chain with records of events in [since, until], and the newest such seq."""
        newest: dict[str, int] = {}
        cursor: str | None = None
        while True:
            positions, cursor = self.reader.record_positions(since, until, PAGE, cursor)
            for subject, seq in positions:
                newest[subject] = max(newest.get(subject, 0), seq)
            if cursor is None:
                return newest

    def _follow(self, subject: str, old: Head | None, upto: int) -> Head | Break | None:
        """The chain's newest record up to seq `upto`, reached from `old` (None: its first record)
        along links that hold; the first break otherwise."""
        if old is not None:
            rows = self.reader.chain(subject, old.seq - 1, 1)
            if (found := against_anchor(subject, old, rows[0][1] if rows else None)) is not None:
                return found
        walker = ChainWalker(ChainState(subject=subject, seq=old.seq, hash=old.hash) if old else None)
        head, after = old, old.seq if old else 0
        while after < upto:
            rows = self.reader.chain(subject, after, min(PAGE, upto - after))
            for stored_in, record in rows:
                if (found := walker.feed(stored_in, record)) is not None:
                    return found
                head = Head(seq=record.seq, hash=record.hash)
            if not rows:
                break
            after = rows[-1][1].seq
        return head

    def check(self, subject: str, anchor: Anchor | None = None) -> Break | None:
        """The chain against the latest anchor (or `anchor`): None when it still holds the record the
        anchor names for it, or when the anchor names none."""
        anchor = anchor or self.anchors.latest()
        head = anchor.heads.get(subject) if anchor is not None else None
        if head is None:
            return None
        rows = self.reader.chain(subject, head.seq - 1, 1)
        return against_anchor(subject, head, rows[0][1] if rows else None)

    def check_history(self) -> tuple[int, str | None]:
        """Every anchor ever put, each against the one before it (nija.domain.audit_anchor.follows):
        how many there are, and what is wrong with the first that does not follow, if one does not."""
        before: Anchor | None = None
        count = 0
        for anchor in self.anchors.history():
            count += 1
            why = follows(before, anchor) if before is not None else None
            if before is None and anchor.previous is not None:
                why = "the first anchor names one before it"
            if why is not None:
                return count, f"anchor {count} (cut {anchor.cut.isoformat()}): {why}"
            before = anchor
        return count, None

    def check_all(self) -> tuple[int, Break | None]:
        """Every anchored chain against the latest anchor: how many were checked, and the first break
        (chains in subject order)."""
        anchor = self.anchors.latest()
        if anchor is None:
            return 0, None
        checked = 0
        for subject in sorted(anchor.heads):
            checked += 1
            if (found := self.check(subject, anchor)) is not None:
                return checked, found
        return checked, None
