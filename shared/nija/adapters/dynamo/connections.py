"""WebSocket connections in the state table, twice (keys: nija.adapters.dynamo.keys): the connection's
own item names its user, one in the user's partition lists a user's connections. Both expire through
the table's TTL after API Gateway's longest connection, in case a $disconnect is lost."""

from __future__ import annotations

import time

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import ConnectionItem
from nija.adapters.dynamo.writes import Save, write
from nija.domain.standing import active

MAX_CONNECTION_S = 2 * 3600  # API Gateway closes a WebSocket connection after 2 hours


class DynamoConnections:
    def __init__(self, max_age_s: int = MAX_CONNECTION_S) -> None:
        bind()
        self.max_age_s = max_age_s

    def add(self, connection_id: str, user_id: str) -> None:
        now = int(time.time())
        items = [
            ConnectionItem(
                pk,
                sk,
                user_id=user_id,
                connection_id=connection_id,
                connected_at=now,
                expires_at=now + self.max_age_s,
            )
            for pk, sk in (
                (keys.connection_pk(connection_id), keys.CONNECTION_SK),
                (keys.user_pk(user_id), keys.user_connection_sk(connection_id)),
            )
        ]
        # Both or neither, and only while the account is active: $connect's own read may be stale.
        write([Save(item) for item in items], account=active(user_id))

    def remove(self, connection_id: str) -> str | None:
        try:
            item = ConnectionItem.get(keys.connection_pk(connection_id), keys.CONNECTION_SK)
        except ConnectionItem.DoesNotExist:
            return None
        ConnectionItem(keys.user_pk(item.user_id), keys.user_connection_sk(connection_id)).delete()
        item.delete()
        return str(item.user_id)

    def of_user(self, user_id: str) -> list[str]:
        now = time.time()
        return [
            str(item.connection_id)
            for item in ConnectionItem.query(
                keys.user_pk(user_id),
                ConnectionItem.sk.startswith(keys.user_connection_sk("")),
                consistent_read=True,  # remembered by the stream processor: never a stale read
            )
            if item.expires_at > now  # the TTL deletes within days, not at once
        ]
