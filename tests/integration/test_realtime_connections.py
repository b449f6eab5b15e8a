"""The stream processor's memory of a user's connections (nija.logic.realtime.Realtime), on moto with
the real connection store and the local stack's sockets: a connection seen opening on the stream is
remembered at once, so the erasure's last message reaches it though the purge already took its items."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from members import member

from nija import wiring
from nija.adapters.dynamo.connections import DynamoConnections
from nija.domain.realtime import ConnectionChange, UserEvent
from nija.local.websocket import LocalSockets
from nija.logic.realtime import Realtime

pytestmark = pytest.mark.usefixtures("aws")


def never(token: str) -> dict[str, Any]:
    raise AssertionError("no token is verified here")


def test_the_last_message_reaches_a_socket_whose_items_the_purge_took() -> None:
    user, connection_id = str(uuid.uuid4()), "L0SM9cOFvHcCIhw="
    connections, sockets = DynamoConnections(), LocalSockets()
    received: list[bytes] = []
    closed: list[bool] = []
    sockets.open(connection_id, received.append, lambda: closed.append(True))
    realtime = Realtime(connections, lambda: sockets, wiring.users(), never)

    member(user)
    connections.add(connection_id, user)  # $connect
    realtime.connection_changed(ConnectionChange(user, connection_id, opened=True))  # its stream record
    connections.remove(connection_id)  # the erasure's purge, before the processor reaches its mark
    delivery = realtime.push(UserEvent(user, {"type": "account_deleted"}))

    assert (delivery.sent, received, closed) == (1, [b'{"type":"account_deleted"}'], [True])


def test_a_closed_connection_seen_on_the_stream_is_not_read_back() -> None:
    user = str(uuid.uuid4())
    connections, sockets = DynamoConnections(), LocalSockets()
    realtime = Realtime(connections, lambda: sockets, wiring.users(), never)
    member(user)
    connections.add("gone=", user)
    realtime.connection_changed(ConnectionChange(user, "gone=", opened=True))
    connections.remove("gone=")
    realtime.connection_changed(ConnectionChange(user, "gone=", opened=False))
    assert realtime.push(UserEvent(user, {"type": "fill"})).sent == 0
