"""GET /admin/audit and GET /admin/audit/verify: search the audit trail and prove its chains whole
(admins only, 403 for everyone else)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from nija import wiring
from nija.api.routers.admin import Admin
from nija.api.schemas import Page, PageToken
from nija.domain.audit import MAX_SUBJECT, Outcome
from nija.domain.audit_chain import BreakReason, ChainedRecord
from nija.domain.models import Instant
from nija.logic.audit import DEFAULT_VERIFY, MAX_SEARCH, MAX_VERIFY, AuditService

router = APIRouter(prefix="/admin", tags=["admin"])


class AuditRecordOut(BaseModel):
    subject: str
    seq: int
    action: str
    outcome: Outcome
    actor: str
    details: dict[str, str]
    source_ip: str | None = None
    at: datetime
    event_id: str
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, record: ChainedRecord) -> AuditRecordOut:
        return cls(
            **record.event.model_dump(exclude={"subject"}),
            subject=record.subject,
            seq=record.seq,
            prev_hash=record.prev_hash,
            hash=record.hash,
        )


class BreakOut(BaseModel):
    subject: str
    seq: int
    reason: BreakReason


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    first_broken: BreakOut | None = None
    next_token: str | None = None


def _service() -> AuditService:
    return AuditService(wiring.audit_records(), wiring.audit_anchoring())


@router.get("/audit", response_model=Page[AuditRecordOut], response_model_exclude_none=True)
def search_audit(
    caller: Admin,
    user_id: Annotated[str | None, Query(min_length=1, max_length=MAX_SUBJECT)] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_SEARCH)] = 50,
    next_token: PageToken = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=MAX_SUBJECT)] = None,
) -> Page[AuditRecordOut]:
    """Audit records newest first: one user's (their chain, by time) or everyone's, between `since`
    and `until` (ISO 8601, both inclusive, either optional). `actor` (a user's or an admin's id) keeps
    what that person did, to any chain: an admin's disables, tier changes and erasures, say. Pass
    `next_token` back for the next page."""
    records, token = _service().search(user_id, since, until, limit, next_token, actor)
    return Page[AuditRecordOut](items=[AuditRecordOut.of(r) for r in records], next_token=token)


@router.get("/audit/verify", response_model=VerifyOut, response_model_exclude_none=True)
def verify_audit(
    caller: Admin,
    user_id: Annotated[str | None, Query(min_length=1, max_length=MAX_SUBJECT)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_VERIFY)] = DEFAULT_VERIFY,
    next_token: PageToken = None,
) -> VerifyOut:
    """Walk one user's chain (`user_id`) or every chain, checking each record's hash and its link to
    the one before; `first_broken` names the first broken link (subject, seq, reason). At most `limit`
    records per call: with `next_token` in the reply, call again with it to go on from there."""
    result = _service().verify(user_id, limit, next_token)
    return VerifyOut(
        ok=result.ok,
        checked=result.checked,
        first_broken=BreakOut(**result.first_broken.model_dump()) if result.first_broken else None,
        next_token=result.next_token,
    )
