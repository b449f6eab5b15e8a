"""Audit events: who did what to whom, when, and how it ended. Never a secret or a password."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from nija.domain.models import Frozen, utcnow


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILURE = "failure"
    REFUSED = "refused"


MAX_SUBJECT = 200  # characters in a subject or an actor as input (a search, a verify token)


class AuditEvent(Frozen):
    action: str  # dotted, e.g. "auth.login", "admin.tier_change"
    outcome: Outcome
    subject: str  # whose record this is: a user id, or "email:<hash>" before one is known
    actor: str  # who did it: the same user, an admin's user id, or "anonymous"
    details: dict[str, str] = Field(default_factory=dict)
    source_ip: str | None = None
    at: datetime = Field(default_factory=utcnow)
    event_id: str = Field(default_factory=lambda: uuid.uuid4().hex)


def is_person(actor: str) -> bool:
    """Whether an actor is a person (a user's or an admin's id: a UUID), whose actions an admin may
    search for, rather than a platform component ("executor", "strategy:rsi", "operator"...), whose
    records are searched by their subject (and would crowd one index partition)."""
    try:
        uuid.UUID(actor)
    except ValueError:
        return False
    return True
