"""Audit events for the audit trail's tests: one action, numbered, at minutes after T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nija.domain.audit import AuditEvent, Outcome

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def event(subject: str, n: int, at: datetime | None = None) -> AuditEvent:
    return AuditEvent(
        action="orders.place",
        outcome=Outcome.SUCCESS,
        subject=subject,
        actor=subject,
        details={"n": str(n)},
        at=at or T0 + timedelta(minutes=n),
    )
