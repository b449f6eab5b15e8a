"""Real-time updates: a user's WebSocket connections, and an event pushed to that user's only."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nija.domain.models import Principal
from nija.domain.realtime import UserEvent
from nija.logic.identity import principal_from_claims
from nija.ports.realtime import Connections, GoneConnection, Pusher
from nija.ports.stores import UserStore


@dataclass(frozen=True)
class Delivery:
    sent: int
    gone: int


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


class Realtime:
    def __init__(
        self,
        connections: Connections,
        pusher: Callable[[], Pusher],
        users: UserStore,
        verify: Callable[[str], dict[str, Any]],
    ) -> None:
        self.connections = connections
        self._pusher = pusher  # built on first push: $connect and $disconnect never need it
        self.users = users
        self.verify = verify
        self._batch: dict[str, list[str]] | None = None

    def connect(self, connection_id: str, token: str) -> Principal:
        """Verify the token as the REST API's authorizer does (signature, expiry, issuer, client, an
        active user) and remember the connection as that user's. Raises Unauthenticated or Forbidden."""
        principal = principal_from_claims(self.verify(token), self.users)
        self.connections.add(connection_id, principal.user_id)
        return principal

    def disconnect(self, connection_id: str) -> str | None:
        return self.connections.remove(connection_id)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Within it, each user's connections are read once (a stream batch holds several events
        of one user: an order, its fill, the position, the order filled)."""
        self._batch = {}
        try:
            yield
        finally:
            self._batch = None

    def _connections_of(self, user_id: str) -> list[str]:
        if self._batch is None:
            return self.connections.of_user(user_id)
        if user_id not in self._batch:
            self._batch[user_id] = self.connections.of_user(user_id)
        return self._batch[user_id]

    def push(self, update: UserEvent) -> Delivery:
        """Send the event to each of the user's connections; forget the ones that are gone."""
        data = encode(update.event)
        sent = gone = 0
        for connection_id in list(self._connections_of(update.user_id)):
            try:
                self._pusher().post(connection_id, data)
                sent += 1
            except GoneConnection:
                self._forget(update.user_id, connection_id)
                gone += 1
        if update.type == "account_disabled":
            # Told, then forgotten: nothing more reaches a disabled account's sockets, and $connect
            # refuses it until an admin enables it again.
            for connection_id in list(self._connections_of(update.user_id)):
                self._forget(update.user_id, connection_id)
        return Delivery(sent, gone)

    def _forget(self, user_id: str, connection_id: str) -> None:
        self.connections.remove(connection_id)
        if self._batch is not None:
            self._batch[user_id].remove(connection_id)
