"""The audit trail in DynamoDB: one hash chain per subject in the append-only audit table.

Appending reads the chain's head (a consistent Query of the newest record), links the event after it
(nija.domain.audit_chain) and puts it at key AUDIT#<subject> / <seq> on condition that no record has
that key yet. Two writers that read the same head race for the same key: one wins, the other reads the
new head and tries again, so a chain never forks and never skips a number. Records are never updated
or deleted (IAM gives no role UpdateItem, DeleteItem or BatchWriteItem on the table). Its keys and
indexes are in nija.adapters.dynamo.keys.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import datetime
from itertools import groupby
from typing import Any

from pynamodb.exceptions import TransactWriteError

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.audit_models import AuditEventKeyItem, AuditItem, AuditLateItem
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.cursor import Listing, decode_cursor, encode_cursor
from nija.adapters.dynamo.models import AuditOutboxItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, write
from nija.config import get_settings
from nija.domain.audit import AuditEvent, Outcome, is_person
from nija.domain.audit_anchor import is_late
from nija.domain.audit_chain import ChainedRecord, link
from nija.domain.errors import Conflict
from nija.domain.models import utcnow

MAX_APPEND_ATTEMPTS = 50
HEADS_KEPT = 10_000  # chains whose head append_once remembers (the oldest forgotten first)


def _event_key(event_id: str) -> tuple[str, str]:
    """The marker append_once leaves for an event id, so that it appends each event once."""
    return keys.audit_event_pk(event_id), keys.EVENT_SK


def _item(record: ChainedRecord) -> AuditItem:
    event, seq = record.event, record.seq
    by_time = keys.audit_by_time_sk(event.at, event.subject, seq)
    person = is_person(event.actor)
    return AuditItem(
        keys.audit_pk(event.subject),
        keys.seq_sk(seq),
        gsi1pk=keys.ALL_BY_TIME,
        gsi1sk=by_time,
        gsi2pk=keys.audit_pk(event.subject),
        gsi2sk=keys.audit_subject_time_sk(event.at, seq),
        gsi3pk=keys.CHAINS,
        gsi3sk=keys.chain_sk(event.subject, seq),
        gsi4pk=keys.audit_actor_pk(event.actor) if person else None,
        gsi4sk=by_time if person else None,
        seq=seq,
        prev_hash=record.prev_hash,
        hash=record.hash,
        action=event.action,
        outcome=event.outcome.value,
        subject=event.subject,
        actor=event.actor,
        details=dict(event.details),
        source_ip=event.source_ip,
        at=event.at,
        event_id=event.event_id,
    )


def _record(item: AuditItem) -> ChainedRecord:
    """The record as stored; its seq comes from its key, where the chain holds it."""
    details = item.details.as_dict() if item.details else {}
    event = AuditEvent(
        action=item.action,
        outcome=Outcome(item.outcome),
        subject=item.subject,
        actor=item.actor,
        details={str(k): str(v) for k, v in details.items()},
        source_ip=item.source_ip,
        at=item.at,
        event_id=item.event_id,
    )
    return ChainedRecord(event=event, seq=int(item.sk), prev_hash=item.prev_hash, hash=item.hash)


def _stored(item: AuditItem) -> tuple[str, ChainedRecord]:
    return keys.audit_subject_of(item.pk), _record(item)


class AuditRecords:
    """AuditLog and AuditReader over the audit table."""

    def __init__(self) -> None:
        bind()
        self._heads: dict[str, ChainedRecord] = {}  # the chains' heads append_once appended last

    def head(self, subject: str) -> ChainedRecord | None:
        """The newest record of the subject's chain, read consistently."""
        for item in AuditItem.query(
            keys.audit_pk(subject), limit=1, scan_index_forward=False, consistent_read=True
        ):
            return _record(item)
        return None

    def append(self, event: AuditEvent) -> ChainedRecord:
        for attempt in range(MAX_APPEND_ATTEMPTS):
            record = link(event, self.head(event.subject))
            try:
                write([Save(_item(record), AuditItem.pk.does_not_exist()), *_late(record)])
            except ConditionFailed:
                # Another writer took this seq: read the new head and link after it. A little random
                # wait spreads writers that keep colliding.
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 (jitter, not a secret)
                continue
            return record
        raise Conflict(f"could not append to the audit chain of {event.subject}")

    def append_once(self, event: AuditEvent) -> ChainedRecord | None:
        """Append the event unless an earlier call did (its event id is taken): at-least-once delivery
        (an outbox item's stream record, retried) makes exactly one record. None when already there."""
        marker_key = _event_key(event.event_id)
        subject = event.subject
        for attempt in range(MAX_APPEND_ATTEMPTS):
            # The head this instance appended last, if any: a writer appending a chain's events one
            # after another reads it once. A head another writer moved on fails the put's condition,
            # and the retry reads it.
            head = self._heads.pop(subject, None) if attempt == 0 else None
            record = link(event, head if head is not None else self.head(subject))
            marker = AuditEventKeyItem(*marker_key, subject=subject, seq=record.seq)
            try:
                write(
                    [
                        Save(_item(record), AuditItem.pk.does_not_exist()),
                        Save(marker, AuditEventKeyItem.pk.does_not_exist()),
                        *_late(record),
                    ]
                )
            except ConditionFailed as exc:
                if exc.index == 1:
                    return None  # appended before
            except TransactWriteError as exc:
                reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
                if "TransactionConflict" not in reasons:
                    raise
            else:
                self._remember(record)
                return record
            if head is None:  # a fresh head lost a race: wait a little; a remembered one was just stale
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 (jitter, not a secret)
        raise Conflict(f"could not append to the audit chain of {subject}")

    def appended(self, event_id: str) -> AuditEvent | None:
        """The event append_once appended with this id, None if none (consistent reads)."""
        try:
            marker = AuditEventKeyItem.get(*_event_key(event_id), consistent_read=True)
            item = AuditItem.get(
                keys.audit_pk(marker.subject), keys.seq_sk(int(marker.seq)), consistent_read=True
            )
        except (AuditEventKeyItem.DoesNotExist, AuditItem.DoesNotExist):
            return None
        return _record(item).event

    def _remember(self, record: ChainedRecord) -> None:
        if len(self._heads) >= HEADS_KEPT:
            self._heads.pop(next(iter(self._heads)))
        self._heads[record.event.subject] = record

    def flush_outbox(self, subject: str) -> int:
        pending = [
            AuditEvent.model_validate_json(item.event)
            for item in AuditOutboxItem.query(keys.outbox_pk(subject), consistent_read=True)
        ]
        return sum(self.append_once(e) is not None for e in sorted(pending, key=lambda e: e.at))

    def outbox_subjects(self) -> list[str]:
        """Every subject with events in the outbox (a Scan of the state table: an operator's repair
        after the audit writer's event source dropped records, not a request path)."""
        found = AuditOutboxItem.scan(
            AuditOutboxItem.pk.startswith(keys.OUTBOX_PREFIX), attributes_to_get=["pk"], consistent_read=True
        )
        return sorted({keys.outbox_subject_of(item.pk) for item in found})

    # AuditLog
    def record(self, event: AuditEvent) -> None:
        self.append(event)

    def events_for(self, subject: str, since: datetime | None = None, limit: int = 100) -> list[AuditEvent]:
        """The subject's events, newest first (by seq; with ``since``, by time from then on)."""
        if since is None:
            items = list(
                AuditItem.query(
                    keys.audit_pk(subject), limit=limit, scan_index_forward=False, consistent_read=True
                )
            )
        else:
            items = _records(
                AuditItem.by_subject_time.query(
                    keys.audit_pk(subject),
                    AuditItem.gsi2sk >= keys.sortable_time(since),
                    limit=limit,
                    scan_index_forward=False,
                )
            )
        return [_record(i).event for i in items]

    # AuditReader
    def search(
        self,
        subject: str | None,
        since: datetime | None,
        until: datetime | None,
        limit: int,
        cursor: str | None,
        actor: str | None = None,
    ) -> tuple[list[ChainedRecord], str | None]:
        found, token = _search_keys(subject, since, until, limit, cursor, actor)
        return [_record(item) for item in _records(found)], token

    def record_positions(
        self, since: datetime | None, until: datetime | None, limit: int, cursor: str | None
    ) -> tuple[list[tuple[str, int]], str | None]:
        found, token = _search_keys(None, since, until, limit, cursor)
        return [_position(item) for item in found], token

    def late_positions(self, since: datetime, until: datetime) -> list[tuple[str, int]]:
        low, high = keys.sortable_time(since), keys.sortable_time(until) + "~"
        return [
            keys.audit_late_position(item.sk)
            for pk in keys.audit_late_days(since, until)
            for item in AuditLateItem.query(pk, AuditLateItem.sk.between(low, high), consistent_read=True)
        ]

    def chain(self, subject: str, after_seq: int, limit: int) -> list[tuple[str, ChainedRecord]]:
        return [
            _stored(item)
            for item in AuditItem.query(
                keys.audit_pk(subject),
                AuditItem.sk > keys.seq_sk(after_seq),
                limit=limit,
                consistent_read=True,
            )
        ]

    def all_chains(self, after: tuple[str, int] | None, limit: int) -> list[tuple[str, ChainedRecord]]:
        """The chain-order index names the records; each chain's run of them is one Query of the table
        (records packed into its 4 KB read units, where reading each by key would take one per record)."""
        condition = AuditItem.gsi3sk > keys.chain_sk(*after) if after is not None else None
        found = [_position(item) for item in AuditItem.chains.query(keys.CHAINS, condition, limit=limit)]
        rows: dict[tuple[str, int], tuple[str, ChainedRecord]] = {}
        for subject, run in groupby(found, key=lambda position: position[0]):
            seqs = [seq for _, seq in run]
            low, high = keys.seq_sk(min(seqs)), keys.seq_sk(max(seqs))
            for item in AuditItem.query(keys.audit_pk(subject), AuditItem.sk.between(low, high)):
                rows[(subject, int(item.sk))] = _stored(item)
        return [rows[position] for position in found if position in rows]


def _late(record: ChainedRecord) -> list[Save]:
    """The marker of a record appended long after its event (nija.domain.audit_anchor.LATE_AFTER)."""
    now = utcnow()
    if not is_late(record.event.at, now):
        return []
    sk = keys.audit_by_time_sk(now, record.event.subject, record.seq)
    return [Save(AuditLateItem(keys.audit_late_pk(now), sk))]


def _position(item: AuditItem) -> tuple[str, int]:
    """The chain a record is stored in and its seq: its table key, which every index holds."""
    return keys.audit_subject_of(item.pk), int(item.sk)


def _records(found: Iterable[AuditItem]) -> list[AuditItem]:
    """The records an index found (it holds their keys), read from the table by key, in its order.
    One the table no longer holds (the index lags a removal behind) is left out."""
    wanted = [(item.pk, item.sk) for item in found]
    got = {(item.pk, item.sk): item for item in AuditItem.batch_get(wanted)} if wanted else {}
    return [got[key] for key in wanted if key in got]


def _search_keys(
    subject: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
    actor: str | None = None,
) -> tuple[list[AuditItem], str | None]:
    """A page of the keys of the records search() returns, from the index that answers it, and the
    next page's token."""
    index: Any
    only_actor = None  # a filter: one subject's records by one actor (gsi2 holds the actor for it)
    if subject is not None:
        index, sort, partition = AuditItem.by_subject_time, AuditItem.gsi2sk, keys.audit_pk(subject)
        only_actor = AuditItem.actor == actor if actor is not None else None
        fixed = {"gsi2pk": partition, "pk": partition}  # the subject's own chain
    elif actor is not None:
        index, sort, partition = AuditItem.by_actor, AuditItem.gsi4sk, keys.audit_actor_pk(actor)
        fixed = {"gsi4pk": partition}
    else:
        index, sort, partition = AuditItem.by_time, AuditItem.gsi1sk, keys.ALL_BY_TIME
        fixed = {"gsi1pk": partition}
    low = keys.sortable_time(since) if since is not None else None
    high = keys.sortable_time(until) + "~" if until is not None else None  # "~" sorts after "#..."
    condition = (
        sort.between(low, high)
        if low is not None and high is not None
        else (sort >= low if low is not None else (sort <= high if high is not None else None))
    )
    listing = Listing(
        get_settings().catalogue.audit_table,
        index.Meta.index_name,
        fixed=fixed,
        prefixed={} if subject is not None else {"pk": keys.AUDIT_PREFIX},
        low=low,
        high=high,
    )
    result = index.query(
        partition,
        condition,
        filter_condition=only_actor,
        limit=limit,
        scan_index_forward=False,
        last_evaluated_key=decode_cursor(cursor, listing),
    )
    found = list(result)
    return found, encode_cursor(result.last_evaluated_key)
