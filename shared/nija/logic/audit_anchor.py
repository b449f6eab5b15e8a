"""Anchoring the audit chains: the scheduled job that copies each chain's head to write-once storage,
and the checks of a chain, or of every anchored chain, against the latest anchor."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from nija.domain.audit_anchor import Anchor, advance, against_anchor
from nija.domain.audit_chain import Break, ChainedRecord
from nija.domain.models import utcnow
from nija.ports.audit import AnchorStore, AuditReader

# The by-time index is eventually consistent, and an event can reach its chain a while after it
# happened (the outbox): anchor only events this old, and read again this far back before the last
# cut. An event later than both is anchored with its chain's next head, which links to it.
SETTLE = timedelta(minutes=5)
OVERLAP = timedelta(hours=1)
PAGE = 1000


@dataclass
class AuditAnchoring:
    reader: AuditReader
    anchors: AnchorStore

    def anchor(self, now: datetime | None = None) -> tuple[Anchor, str]:
        """Put the next anchor: the latest one's heads moved to the records appended since."""
        previous = self.anchors.latest()
        cut = (now or utcnow()) - SETTLE
        since = previous.cut - OVERLAP if previous is not None else None
        anchor = advance(previous, self._records(since, cut), cut)
        return anchor, self.anchors.put(anchor)

    def _records(self, since: datetime | None, until: datetime) -> Iterator[ChainedRecord]:
        cursor: str | None = None
        while True:
            records, cursor = self.reader.search(None, since, until, PAGE, cursor)
            yield from records
            if cursor is None:
                return

    def check(self, subject: str, anchor: Anchor | None = None) -> Break | None:
        """The chain against the latest anchor (or `anchor`): None when it still holds the record the
        anchor names for it, or when the anchor names none."""
        anchor = anchor or self.anchors.latest()
        head = anchor.heads.get(subject) if anchor is not None else None
        if head is None:
            return None
        rows = self.reader.chain(subject, head.seq - 1, 1)
        return against_anchor(subject, head, rows[0][1] if rows else None)

    def check_all(self, on_chain: Callable[[str], None] | None = None) -> tuple[int, Break | None]:
        """Every anchored chain against the latest anchor: how many were checked, and the first break
        (chains in subject order)."""
        anchor = self.anchors.latest()
        if anchor is None:
            return 0, None
        checked = 0
        for subject in sorted(anchor.heads):
            checked += 1
            if on_chain:
                on_chain(subject)
            if (found := self.check(subject, anchor)) is not None:
                return checked, found
        return checked, None
