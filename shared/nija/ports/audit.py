"""The audit log port: append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from nija.domain.audit import AuditEvent


class AuditLog(Protocol):
    def record(self, event: AuditEvent) -> None: ...

    def events_for(
        self, subject: str, since: datetime | None = None, limit: int = 100
    ) -> list[AuditEvent]: ...
