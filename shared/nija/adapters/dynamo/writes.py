"""State writes that carry their audit event: the item(s) and the event's outbox item in one DynamoDB
transaction (nija.domain.audit_outbox), so a change is never stored without its record or the record
without the change. Without an event, one item is written as a plain conditional Put or Update.

With `account`, the write also checks the user's profile in the same transaction
(nija.domain.standing): a write for an account that is disabled, being erased or gone raises
AccountInactive and stores nothing, whatever any cache said.

Every other failed condition comes back as ConditionFailed with the index of the write whose condition
failed (the outbox item's is never the one: its key is a new event id)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import AuditOutboxItem, UserItem
from nija.domain.audit import AuditEvent
from nija.domain.audit_outbox import OUTBOX_KEEP
from nija.domain.errors import AccountInactive
from nija.domain.models import UserStatus
from nija.domain.standing import ACCOUNT_DELETION, AccountGuard, Standing


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
        keys.outbox_pk(event.subject),
        keys.outbox_sk(event.event_id),
        event=event.model_dump_json(),
        expires_at=int(time.time() + OUTBOX_KEEP.total_seconds()),
    )


def conditional_failed(exc: Exception) -> bool:
    """A single write (PutError, UpdateError, DeleteError) refused by its condition."""
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def saved_if(item: Any, condition: Condition) -> bool:
    """Save one item on its condition (a version check, a first write); False when it did not hold."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


def standing_condition(standing: Standing) -> Condition:
    """The profile condition of a guarded write (the rule of nija.domain.standing.stands)."""
    kept = UserItem.pk.exists() & (
        UserItem.trading_disabled_reason.does_not_exist()
        | (UserItem.trading_disabled_reason != ACCOUNT_DELETION)
    )
    return kept & (UserItem.status == UserStatus.ACTIVE.value) if standing is Standing.ACTIVE else kept


def write(
    writes: Sequence[Write], audit: AuditEvent | None = None, *, account: AccountGuard | None = None
) -> None:
    """Write all or nothing; with `audit`, its outbox item too; with `account`, only while the
    user's profile stands as it asks. Raises ConditionFailed or AccountInactive."""
    bind()  # the models point at the current settings' table (cheap when they already do)
    if audit is not None:
        writes = [*writes, Save(outbox_item(audit), AuditOutboxItem.pk.does_not_exist())]
    if len(writes) == 1 and account is None:
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
            if account is not None:
                tx.condition_check(
                    UserItem,
                    keys.user_pk(account.user_id),
                    keys.PROFILE,
                    condition=standing_condition(account.standing),
                )
    except TransactWriteError as exc:
        reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or [])]
        # pynamodb sends condition checks first, then deletes, puts and updates, each in call order.
        sent: list[int | None] = [None] if account is not None else []
        sent += [i for kind in (Delete, Save, Update) for i, w in enumerate(writes) if isinstance(w, kind)]
        failed = [sent[n] for n, r in enumerate(reasons[: len(sent)]) if r == "ConditionalCheckFailed"]
        if None in failed:
            raise AccountInactive("this account is disabled or being deleted") from exc
        if failed:
            raise ConditionFailed(min(i for i in failed if i is not None)) from exc
        raise
