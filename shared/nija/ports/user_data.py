"""The user data port: everything the state table holds about one user, as records to export and
as items to erase (the data rights: GET /v1/me/export, DELETE /v1/me)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol

# Kinds that grow with use: exported newest first, within the export's size budget.
BULKY = ("orders", "trades", "equity_snapshots", "pnl_buckets", "paper_orders", "request_keys")


class UserRecords(Protocol):
    def small_records(self, user_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every record of the user's that is not of a BULKY kind, as (kind, fields), read a page at
        a time: profile, settings, broker key metadata, positions, equity, switches, connections,
        devices, notifications sent, paper balances, and any kind this version does not name ("other",
        with its key). Never a secret: no API key value, no broker key (those live in the vault,
        never here)."""
        ...

    def bulky_records(self, user_id: str, kind: str) -> Iterator[dict[str, Any]]:
        """The user's records of one BULKY kind, newest first, read a page at a time as the caller
        iterates (stop iterating and no further page is read)."""
        ...

    def open_orders(self, user_id: str) -> list[str]:
        """Ids of the user's orders that may still fill: queued, submitted, or open at a broker."""
        ...

    def purge(self, user_id: str, email: str) -> int:
        """Delete every item of the user's except the profile: their partition, their paper account,
        their WebSocket connections, their request budgets at the brokers, their sign-in guard.
        Returns how many it deleted; run again, it deletes what is left (nothing once finished)."""
        ...

    def delete_profile(self, user_id: str) -> None:
        """The profile goes last: after it, nothing of the user's remains in the state table."""
        ...
