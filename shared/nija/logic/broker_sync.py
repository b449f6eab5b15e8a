"""The executor's schedule, per broker: look every open order up at the broker (auditing and applying
what differs: fills of resting orders, cancels and expiries made there), then compare each connected
user's balances with their positions (nija.logic.reconcile)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nija.domain.models import BrokerName
from nija.logic.execution import Executor
from nija.logic.reconcile import Reconciler
from nija.ports.stores import OrderStore


@dataclass(frozen=True)
class SyncReport:
    broker: BrokerName
    open: int  # open orders looked up
    changed: int  # of them, orders whose record changed
    order_differences: int
    differences: int  # balance differences found (and audited)

    def as_dict(self) -> dict[str, object]:
        return {
            "broker": self.broker.value,
            "open": self.open,
            "changed": self.changed,
            "order_differences": self.order_differences,
            "differences": self.differences,
        }


@dataclass(frozen=True)
class BrokerSync:
    executor: Executor
    orders: OrderStore  # the broker's open orders
    reconciler: Reconciler
    connected_users: Callable[[BrokerName], list[str]]  # who has keys for the broker

    def run(self) -> SyncReport:
        broker = self.executor.broker.name
        open_orders = self.orders.open_orders(broker)
        synced = self.executor.sync_open_orders(open_orders)
        differences = self.reconciler.run(self.connected_users(broker))
        return SyncReport(broker, len(open_orders), synced.changed, synced.differences, len(differences))
