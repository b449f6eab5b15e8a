"""Real-time updates: a user's WebSocket connections, and an event pushed to that user's only."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nija.domain.errors import Forbidden
from nija.domain.models import Principal
from nija.domain.realtime import SESSION_ENDING, ConnectionChange, UserEvent
from nija.domain.standing import ACCOUNT_DELETION
from nija.logic.identity import active_user, principal_of
from nija.ports.realtime import Connections, GoneConnection, Pusher
from nija.ports.stores import UserStore

USERS_REMEMBERED = 50_000  # users whose connections one instance keeps (the least recent forgotten)


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
        # user id -> their open connections, most recently used last (see connection_changed)
        self._known: OrderedDict[str, set[str]] = OrderedDict()

    def connect(self, connection_id: str, token: str) -> Principal:
        """Verify the token as the REST API's authorizer does (signature, expiry, issuer, client, an
        active user) and remember the connection as that user's. Raises Unauthenticated or Forbidden."""
        claims = self.verify(token)
        user = active_user(claims, self.users)
        if user.trading_disabled_reason == ACCOUNT_DELETION:  # the REST API still lets it finish that
            raise Forbidden("this account is being deleted")
        principal = principal_of(user, claims)
        self.connections.add(connection_id, principal.user_id)
        return principal

    def disconnect(self, connection_id: str) -> str | None:
        return self.connections.remove(connection_id)

    def connection_changed(self, change: ConnectionChange) -> None:
        """A connection opened or closed, as the table's stream tells it. A user's connection items
        are in the user's partition, so their records come in order with the user's events: the
        connections remembered for a user stay right without reading them again."""
        known = self._known.get(change.user_id)
        if known is None:
            if change.opened:  # read now, while the connection items are there: an erasure's purge
                self._connections_of(change.user_id)  # may take them before its last event is pushed
            return
        if change.opened:
            known.add(change.connection_id)
        else:
            known.discard(change.connection_id)

    def _connections_of(self, user_id: str) -> set[str]:
        known = self._known.get(user_id)
        if known is None:
            known = set(self.connections.of_user(user_id))
            if len(self._known) >= USERS_REMEMBERED:
                self._known.popitem(last=False)
            self._known[user_id] = known
        else:
            self._known.move_to_end(user_id)
        return known

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
        if update.type in SESSION_ENDING:
            # Told, then closed: a disabled or erased account's sockets get nothing more, and $connect
            # refuses it (until an admin enables it again).
            for connection_id in list(self._connections_of(update.user_id)):
                self._pusher().close(connection_id)
                self._forget(update.user_id, connection_id)
        return Delivery(sent, gone)

    def _forget(self, user_id: str, connection_id: str) -> None:
        self.connections.remove(connection_id)
        self._known.get(user_id, set()).discard(connection_id)
