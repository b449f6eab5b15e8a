"""For the audit trail's tests: audit events (one action, numbered, at minutes after T0), and the
admin routes called with a query."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

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


def admin_get(admin: Any, case: str, admin_id: str, role: str = "admin", **query: Any) -> Any:
    """An admin_api sample event (events/admin_api/<case>) as `admin_id` in `role`, with this query."""
    ev = admin.event(case, user_id=admin_id, role=role, subject=admin_id)
    params = {k: str(v) for k, v in query.items() if v is not None}
    ev["queryStringParameters"] = params or None
    ev["multiValueQueryStringParameters"] = {k: [v] for k, v in params.items()} or None
    return admin.invoke(ev)
