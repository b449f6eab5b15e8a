"""Where the paper book lives: the storage port and an in-memory implementation.

The DynamoDB implementation (nija.adapters.paper.dynamo) shares the book across processes; the
in-memory one serves unit tests and single-process tools. Both apply a `Change` all-or-nothing and
only if the order status and every holding version are still the ones it was computed from.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Protocol

from nija.adapters.paper.book import Change, Holding, PaperOrder


class PaperStore(Protocol):
    def holdings(self, user_id: str) -> dict[str, Holding]:
        """Every asset the user holds, read consistently."""
        ...

    def get_order(self, user_id: str, client_order_id: str) -> PaperOrder | None: ...

    def open_orders(self, user_id: str) -> list[PaperOrder]:
        """The user's resting orders, read consistently."""
        ...

    def users_with_open_orders(self) -> list[str]:
        """Users that may have resting orders (may lag a little; callers re-read per user)."""
        ...

    def apply(self, change: Change) -> bool:
        """Write the change atomically; False (and nothing written) when its expectations fail."""
        ...

    def seed(self, user_id: str, amounts: Mapping[str, Decimal]) -> None:
        """Create each asset's balance with the amount unless the user already has that asset."""
        ...


class MemoryPaperStore:
    """A PaperStore in a dict, guarded by a lock: same semantics as the DynamoDB one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holdings: dict[tuple[str, str], Holding] = {}
        self._orders: dict[tuple[str, str], PaperOrder] = {}

    def holdings(self, user_id: str) -> dict[str, Holding]:
        with self._lock:
            return {asset: h for (user, asset), h in self._holdings.items() if user == user_id}

    def get_order(self, user_id: str, client_order_id: str) -> PaperOrder | None:
        with self._lock:
            return self._orders.get((user_id, client_order_id))

    def open_orders(self, user_id: str) -> list[PaperOrder]:
        with self._lock:
            orders = [o for (user, _), o in self._orders.items() if user == user_id and o.status.is_open]
        return sorted(orders, key=lambda o: o.client_order_id)

    def users_with_open_orders(self) -> list[str]:
        with self._lock:
            return sorted({user for (user, _), o in self._orders.items() if o.status.is_open})

    def apply(self, change: Change) -> bool:
        user = change.order.user_id
        order_key = (user, change.order.client_order_id)
        with self._lock:
            stored = self._orders.get(order_key)
            if (stored.status if stored else None) != change.expected_status:
                return False
            for h in change.holdings:
                current = self._holdings.get((user, h.asset))
                if (current.version if current else 0) != h.version - 1:
                    return False
            self._orders[order_key] = change.order
            for h in change.holdings:
                self._holdings[(user, h.asset)] = h
        return True

    def seed(self, user_id: str, amounts: Mapping[str, Decimal]) -> None:
        with self._lock:
            for asset, amount in amounts.items():
                self._holdings.setdefault((user_id, asset), Holding(asset=asset, total=amount, version=1))
