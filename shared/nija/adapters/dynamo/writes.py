"""State writes that carry their audit event: the item(s) and the event's outbox item in one DynamoDB
transaction (nija.domain.audit_outbox), so a change is never stored without its record or the record
without the change. Without an event, one item is written as a plain conditional Put or Update.

Every failed condition comes back as ConditionFailed with the index of the write whose condition
failed (the outbox item's is never the one: its key is a new event id)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from nija.adapters.dynamo.models import AuditOutboxItem, bind
from nija.domain.audit import AuditEvent
from nija.domain.audit_outbox import OUTBOX_KEEP, outbox_pk, outbox_sk


class ConditionFailed(Exception):
    """The condition of write `index` was false: nothing was written."""

    def __init__(self, index: int) -> None:
        super().__init__(f"the condition of write {index} failed")
        self.index = index


@dataclass(frozen=True)
class Save:
    item: Model
    condition: Condition | None = None


@dataclass(frozen=True)
class Update:
    item: Model
    actions: Sequence[Any] = field(default_factory=list)
    condition: Condition | None = None


@dataclass(frozen=True)
class Delete:
    item: Model
    condition: Condition | None = None


Write = Save | Update | Delete


def outbox_item(event: AuditEvent) -> AuditOutboxItem:
    return AuditOutboxItem(
        outbox_pk(event.subject),
        outbox_sk(event.event_id),
        event=event.model_dump_json(),
        expires_at=int(time.time() + OUTBOX_KEEP.total_seconds()),
    )


def conditional_failed(exc: Exception) -> bool:
    """A single write (PutError, UpdateError, DeleteError) refused by its condition."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def write(writes: Sequence[Write], audit: AuditEvent | None = None) -> None:
    """Write all or nothing; with `audit`, its outbox item too. Raises ConditionFailed."""
    bind()  # the models point at the current settings' table (cheap when they already do)
    if audit is not None:
        writes = [*writes, Save(outbox_item(audit), AuditOutboxItem.pk.does_not_exist())]
    if len(writes) == 1:
        only = writes[0]
        try:
            if isinstance(only, Save):
                only.item.save(condition=only.condition)
            elif isinstance(only, Update):
                only.item.update(actions=list(only.actions), condition=only.condition)
            else:
                only.item.delete(condition=only.condition)
        except (PutError, UpdateError, DeleteError) as exc:
            if conditional_failed(exc):
                raise ConditionFailed(0) from exc
            raise
        return
    # Imported here: a plain write (most of the API's) does not pay for the transactions module.
    from pynamodb.transactions import TransactWrite

    connection = (
        type(writes[0].item)._get_connection().connection
    )  # reuse its client: a new one costs ~100 ms
    try:
        with TransactWrite(connection=connection) as tx:
            for w in writes:
                if isinstance(w, Save):
                    tx.save(w.item, condition=w.condition)
                elif isinstance(w, Update):
                    tx.update(w.item, actions=list(w.actions), condition=w.condition)
                else:
                    tx.delete(w.item, condition=w.condition)
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
        if "ConditionalCheckFailed" in reasons:
            raise ConditionFailed(reasons.index("ConditionalCheckFailed")) from exc
        raise
