"""The reconciliation's book (ReconcileBook) over the state table: due reminders (DUE#<broker>, written
by each fill's transaction), the sweep's slots (gsi2 of the credential items) and what each user's
last reconciliation found (RECONCILED#<broker>). Keys: nija.adapters.dynamo.keys."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import CredentialItem, ReconciledItem, ReconcileDueItem
from nija.adapters.dynamo.writes import ConditionFailed, Delete, Save, write
from nija.domain.models import BrokerName
from nija.domain.reconciliation import DUE_KEPT, Difference, Due
from nija.domain.standing import kept


class DynamoReconcileBook:
    def __init__(self) -> None:
        bind()

    def due(self, broker: BrokerName, now: datetime) -> list[Due]:
        cutoff = now.timestamp()
        return [
            Due(user_id=item.sk, broker=broker, due_at=int(item.due_at))
            for item in ReconcileDueItem.query(keys.reconcile_due_pk(broker.value), consistent_read=True)
            if item.due_at <= cutoff
        ]

    def done(self, due: Due) -> None:
        item = ReconcileDueItem(keys.reconcile_due_pk(due.broker.value), due.user_id)
        with contextlib.suppress(ConditionFailed):  # a later fill moved it on: it stays for its time
            write([Delete(item, ReconcileDueItem.due_at == due.due_at)])

    def schedule(self, user_id: str, broker: BrokerName, at: datetime) -> None:
        item = ReconcileDueItem(
            keys.reconcile_due_pk(broker.value),
            user_id,
            due_at=int(at.timestamp()),
            expires_at=int(time.time() + DUE_KEPT.total_seconds()),
        )
        write([Save(item)])

    def sweep(self, broker: BrokerName, slot: int) -> list[str]:
        return [item.gsi2sk for item in CredentialItem.sweep.query(keys.sweep_pk(broker.value, slot))]

    def last(self, user_id: str, broker: BrokerName) -> tuple[Difference, ...] | None:
        try:
            item = ReconciledItem.get(keys.user_pk(user_id), keys.reconciled_sk(broker.value))
        except ReconciledItem.DoesNotExist:
            return None
        return tuple(Difference.model_validate(d) for d in json.loads(item.differences))

    def remember(self, user_id: str, broker: BrokerName, found: tuple[Difference, ...], at: datetime) -> None:
        item = ReconciledItem(
            keys.user_pk(user_id),
            keys.reconciled_sk(broker.value),
            differences=json.dumps([d.model_dump(mode="json") for d in found]),
            at=at,
        )
        write([Save(item)], account=kept(user_id))
