"""The audit log ports: appending to a subject's hash chain, and reading the chains back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.audit_anchor import Anchor
from nija.domain.audit_chain import ChainedRecord


class AuditLog(Protocol):
    """Append-only: a record is added at the end of its subject's chain, never changed or removed."""

    def record(self, event: AuditEvent) -> None: ...

    def events_for(
        self, subject: str, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]: ...

    def flush_outbox(self, subject: str) -> int:
        """Append the subject's events still in the audit outbox (nija.domain.audit_outbox), each once
        whoever else appends it, in the order they were made; returns how many this call appended."""
        ...


class AuditReader(Protocol):
    def search(
        self,
        subject: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
        actor: str | None = None,
    ) -> tuple[list[ChainedRecord], str | None]:
        """Records newest first, of one subject or of all, within [since, until], optionally only those
        a person (`actor`) did; a page and the next page's token."""
        ...

    def record_positions(
        self, since: datetime | None, until: datetime | None, limit: int, cursor: str | None
    ) -> tuple[list[tuple[str, int]], str | None]:
        """What ``search`` of every subject finds, as the chain each record is stored in and its seq
        only (no record is read); a page and the next page's token."""
        ...

    def late_positions(self, since: datetime, until: datetime) -> list[tuple[str, int]]:
        """The chain and seq of every record appended between the two times long after its event
        happened (nija.domain.audit_anchor.LATE_AFTER), read consistently."""
        ...

    def chain(self, subject: str, after_seq: int, limit: int) -> list[tuple[str, ChainedRecord]]:
        """Up to ``limit`` records of one chain after ``after_seq``, in seq order, read consistently;
        each with the subject of the chain it is stored in."""
        ...

    def all_chains(self, after: tuple[str, int] | None, limit: int) -> list[tuple[str, ChainedRecord]]:
        """Up to ``limit`` records of every chain, chain after chain, each in seq order, after
        (subject, seq); each with the subject of the chain it is stored in (an index: it may lag)."""
        ...


class AnchorStore(Protocol):
    """Write-once storage of anchors (nija.domain.audit_anchor): an anchor, once put, can be neither
    changed nor removed before its retention ends, by anyone."""

    def latest(self) -> Anchor | None: ...

    def put(self, anchor: Anchor) -> str:
        """Store the anchor after the one it follows (`anchor.previous`); returns where. Conflict when
        that one is no longer the latest (another run put one meanwhile)."""
        ...

    def history(self) -> Iterator[Anchor]:
        """Every anchor ever put, oldest first."""
        ...
