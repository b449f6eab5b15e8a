"""Searching the audit trail and proving it whole: the admin's GET /admin/audit and /admin/audit/verify.

Verification is bounded per call: it checks at most ``limit`` records and hands back a token that
resumes the walk where it stopped (the token carries the chain, seq and hash reached, so the next
call checks the very next link). One chain is walked on the table itself with consistent reads.
Every chain is walked through the chain-order index (subject, then seq); the index may lag behind
writes, so a break seen there is confirmed on the table before it is named.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nija.domain.audit import MAX_SUBJECT, is_person
from nija.domain.audit_chain import (
    HASH_PATTERN,
    MAX_SEQ,
    Break,
    ChainedRecord,
    ChainState,
    ChainWalker,
    verify_chain,
)
from nija.domain.errors import InvalidInput
from nija.domain.tokens import decode_token, encode_token, refused
from nija.logic.audit_anchor import AuditAnchoring
from nija.ports.audit import AuditReader

MAX_SEARCH = 200
DEFAULT_VERIFY = 1000
MAX_VERIFY = 10_000
READ_PAGE = 500


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    first_broken: Break | None = None
    next_token: str | None = None  # more records remain: pass it back to go on


class _Position(BaseModel):
    """What a verify token carries: the walk's scope and the last record it checked. Strict: a
    token is input, and each value must be what a walk could have reached."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    scope: str
    subject: str = Field(min_length=1, max_length=MAX_SUBJECT)
    seq: int = Field(ge=1, le=MAX_SEQ)
    hash: str = Field(pattern=HASH_PATTERN)


def _encode(state: ChainState, scope: str) -> str:
    return encode_token({"scope": scope, **state.model_dump()})


def _decode(token: str | None, scope: str) -> ChainState | None:
    if not token:
        return None
    try:
        position = _Position.model_validate(decode_token(token))
    except ValidationError:
        raise refused() from None
    if position.scope != scope:  # another walk's token
        raise refused()
    return ChainState(subject=position.subject, seq=position.seq, hash=position.hash)


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


@dataclass(frozen=True)
class AuditService:
    reader: AuditReader
    anchoring: AuditAnchoring | None = None  # None: nothing is anchored (no bucket configured)

    def search(
        self,
        user_id: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
        actor: str | None = None,
    ) -> tuple[list[ChainedRecord], str | None]:
        since, until = _utc(since), _utc(until)  # a time without a zone is UTC, as records are
        if since is not None and until is not None and since > until:
            raise InvalidInput("since must not be after until", field="since")
        if actor is not None and is_person(actor):
            actor = actor.lower()  # ids are stored as uuid4 writes them
        if actor is not None and user_id is None and not is_person(actor):
            raise InvalidInput(
                "actor must be a user's or an admin's id; search a platform component's records by user_id",
                field="actor",
            )
        return self.reader.search(user_id, since, until, min(max(limit, 1), MAX_SEARCH), cursor, actor)

    def verify(
        self, user_id: str | None, limit: int = DEFAULT_VERIFY, cursor: str | None = None
    ) -> Verification:
        limit = min(max(limit, 1), MAX_VERIFY)
        if user_id is not None:
            return self._verify_one(user_id, limit, cursor)
        return self._verify_all(limit, cursor)

    def _verify_one(self, subject: str, limit: int, cursor: str | None) -> Verification:
        scope = f"user:{subject}"
        state = _decode(cursor, scope) or ChainState(subject=subject)
        if state.subject != subject:
            raise refused()
        walker = ChainWalker(state)
        while walker.checked < limit:
            page = min(READ_PAGE, limit - walker.checked)
            seq = walker.state.seq if walker.state is not None else 0
            rows = self.reader.chain(subject, seq, page)
            for stored_in, record in rows:
                if (found := walker.feed(stored_in, record)) is not None:
                    return Verification(ok=False, checked=walker.checked, first_broken=found)
            if len(rows) < page:  # the whole chain links: is its anchored head still in it?
                found = self.anchoring.check(subject) if self.anchoring is not None else None
                return Verification(ok=found is None, checked=walker.checked, first_broken=found)
        assert walker.state is not None
        return Verification(ok=True, checked=walker.checked, next_token=_encode(walker.state, scope))

    def _verify_all(self, limit: int, cursor: str | None) -> Verification:
        walker = ChainWalker(_decode(cursor, "all"))
        anchored = AnchoredHeads(self.anchoring)
        while walker.checked < limit:
            page = min(READ_PAGE, limit - walker.checked)
            after = (walker.state.subject, walker.state.seq) if walker.state is not None else None
            rows = self.reader.all_chains(after, page)
            for stored_in, record in rows:
                if (found := anchored.passed(walker.state, stored_in, record)) is not None:
                    return Verification(ok=False, checked=walker.checked, first_broken=found)
                if walker.feed(stored_in, record) is not None and (found := self._confirm(stored_in)):
                    return Verification(ok=False, checked=walker.checked, first_broken=found)
            if len(rows) < page:
                found = anchored.passed(walker.state, None, None)  # the chains after the last one
                return Verification(ok=found is None, checked=walker.checked, first_broken=found)
        assert walker.state is not None
        return Verification(ok=True, checked=walker.checked, next_token=_encode(walker.state, "all"))

    def _confirm(self, subject: str) -> Break | None:
        """The chain's first break as the table holds it (read consistently), None if it holds there."""
        records: list[ChainedRecord] = []
        after = 0
        while True:
            rows = self.reader.chain(subject, after, READ_PAGE)
            records.extend(record for _, record in rows)
            if len(rows) < READ_PAGE:
                return verify_chain(subject, records)
            after = rows[-1][1].seq


class AnchoredHeads:
    """The latest anchor's heads, met along a walk of every chain in the chain-order index (chains by
    subject, each by seq): a chain that ends before its anchored head, a record other than the one
    anchored at its seq, or an anchored chain the walk never meets, is confirmed on the table
    (consistent reads, AuditAnchoring.check) before it is named."""

    def __init__(self, anchoring: AuditAnchoring | None) -> None:
        self.anchoring = anchoring
        anchor = anchoring.anchors.latest() if anchoring is not None else None
        self.heads = anchor.heads if anchor is not None else {}
        # In the index's order (its sort key is "<subject>#<seq>"), to find the chains between two.
        self.keys = sorted(f"{s}#" for s in self.heads)

    def passed(
        self, last: ChainState | None, subject: str | None, record: ChainedRecord | None
    ) -> Break | None:
        """Check what the walk passed on its way from `last` (the last record checked, None at the
        start) to `record` of chain `subject` (None: the end of every chain)."""
        if self.anchoring is None or not self.heads:
            return None
        suspects: list[str] = []
        leaving = last is not None and last.subject != subject
        if leaving and last is not None and (head := self.heads.get(last.subject)) and head.seq > last.seq:
            suspects.append(last.subject)  # the chain ended before its anchored head
        if last is None or leaving:  # anchored chains between the last chain and this one: never met
            low = bisect_right(self.keys, f"{last.subject}#") if last else 0
            high = bisect_left(self.keys, f"{subject}#") if subject else len(self.keys)
            suspects += [key.removesuffix("#") for key in self.keys[low:high]]
        if record is not None and subject is not None:
            head = self.heads.get(subject)
            if head is not None and record.seq == head.seq and record.hash != head.hash:
                suspects.append(subject)
        for suspect in suspects:
            if (found := self.anchoring.check(suspect)) is not None:
                return found
        return None
