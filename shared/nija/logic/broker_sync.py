"""The executor's schedule, per broker, once a minute: look every open order up at the broker
(auditing and applying what differs: fills of resting orders, cancels and expiries made there), then
reconcile the users due after a fill and the users of this minute's sweep slot
(nija.domain.reconciliation, nija.logic.reconcile). The work follows activity: open orders, fills,
and one slot of the connected users, whatever their number."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from nija.domain.models import BrokerName, utcnow
from nija.domain.reconciliation import DUE_A_RUN, slot_at
from nija.logic.execution import Executor
from nija.logic.reconcile import Reconciler
from nija.ports.reconcile import ReconcileBook
from nija.ports.stores import OrderStore


@dataclass(frozen=True)
class SyncReport:
    broker: BrokerName
    open: int  # open orders looked up
    changed: int  # of them, orders whose record changed
    order_differences: int
    differences: int  # balance differences recorded (new or changed)
    due: int = 0  # users due: after a fill, or in this minute's sweep slot
    checked: int = 0  # of them, users whose balances were read
    skipped: dict[str, int] = field(default_factory=dict)  # the others, by reason

    def as_dict(self) -> dict[str, object]:
        return {
            "broker": self.broker.value,
            "open": self.open,
            "changed": self.changed,
            "order_differences": self.order_differences,
            "differences": self.differences,
            "due": self.due,
            "checked": self.checked,
            "skipped": dict(self.skipped),
        }


@dataclass(frozen=True)
class BrokerSync:
    executor: Executor
    orders: OrderStore  # the broker's open orders
    reconciler: Reconciler
    book: ReconcileBook
    clock: Callable[[], datetime] = utcnow

    def run(self) -> SyncReport:
        broker = self.executor.broker.name
        now = self.clock()
        open_orders = self.orders.open_orders(broker)
        synced = self.executor.sync_open_orders(open_orders)
        # The oldest first, a bounded number a run: after an outage the backlog drains over minutes.
        reminders = sorted(self.book.due(broker, now), key=lambda d: d.due_at)[:DUE_A_RUN]
        users = sorted({d.user_id for d in reminders} | set(self.book.sweep(broker, slot_at(broker, now))))
        report = self.reconciler.run(users)
        checked = set(report.checked)
        for reminder in reminders:
            if reminder.user_id in checked:  # the others stay due: the next minute tries again
                self.book.done(reminder)
        return SyncReport(
            broker,
            len(open_orders),
            synced.changed,
            synced.differences,
            len(report.recorded),
            len(users),
            len(checked),
            dict(report.skipped),
        )
