"""Real-time ports: who is connected (per user), and how a message reaches one connection."""

from __future__ import annotations

from typing import Protocol

from nija.domain.errors import NijaError


class GoneConnection(NijaError):
    """The connection no longer exists (API Gateway's GoneException, a closed local socket)."""

    code = "gone"


class Connections(Protocol):
    def add(self, connection_id: str, user_id: str) -> None: ...

    def remove(self, connection_id: str) -> str | None:
        """Forget a connection; returns its user, None when it was unknown."""
        ...

    def of_user(self, user_id: str) -> list[str]:
        """The user's open connection ids."""
        ...


class Pusher(Protocol):
    def post(self, connection_id: str, data: bytes) -> None:
        """Send one message; raises GoneConnection when the connection is gone."""
        ...

    def close(self, connection_id: str) -> None:
        """Close one connection (its $disconnect follows); one already gone is not an error."""
        ...
