"""What reconciliation keeps between runs: who is due, who is in each sweep slot, what was found."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from nija.domain.models import BrokerName
from nija.domain.reconciliation import Difference, Due


class ReconcileBook(Protocol):
    def due(self, broker: BrokerName, now: datetime) -> list[Due]:
        """The users a fill made due at the broker, whose time has come."""
        ...

    def done(self, due: Due) -> None:
        """Forget the reminder, unless a later fill moved it on meanwhile."""
        ...

    def schedule(self, user_id: str, broker: BrokerName, at: datetime) -> None:
        """Make the user due at the broker from `at` on."""
        ...

    def sweep(self, broker: BrokerName, slot: int) -> list[str]:
        """The users with keys for the broker whose sweep minute is `slot`."""
        ...

    def last(self, user_id: str, broker: BrokerName) -> tuple[Difference, ...] | None:
        """What the last reconciliation found (empty: nothing), or None: never reconciled."""
        ...

    def remember(
        self, user_id: str, broker: BrokerName, found: tuple[Difference, ...], at: datetime
    ) -> None: ...
