"""Registered devices in the state table, in the user's partition under the token's hash (the token
inside); and the notifications sent at most once, kept 2 days (keys: nija.adapters.dynamo.keys)."""

from __future__ import annotations

import time

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import DeviceItem, NotifiedItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, write
from nija.domain.models import utcnow
from nija.domain.notifications import MAX_DEVICES, Device, device_key
from nija.domain.standing import active, kept

ONCE_KEEP_S = 2 * 86_400


class DynamoDevices:
    def __init__(self) -> None:
        bind()

    def add(self, user_id: str, device: Device) -> bool:
        known = self.list(user_id)
        if len(known) >= MAX_DEVICES and device.token not in {d.token for d in known}:
            return False
        item = DeviceItem(
            keys.user_pk(user_id),
            keys.device_sk(device.key),
            token=device.token,
            platform=device.platform,
            registered_at=utcnow(),
        )
        write([Save(item)], account=active(user_id))
        return True

    def remove(self, user_id: str, token: str) -> bool:
        try:
            item = DeviceItem.get(
                keys.user_pk(user_id), keys.device_sk(device_key(token)), consistent_read=True
            )
        except DeviceItem.DoesNotExist:
            return False
        item.delete()
        return True

    def list(self, user_id: str) -> list[Device]:
        return [
            Device(token=i.token, platform=i.platform)
            for i in DeviceItem.query(keys.user_pk(user_id), DeviceItem.sk.startswith(keys.DEVICE_PREFIX))
        ]

    def once(self, user_id: str, key: str) -> bool:
        """Claim `key` for the user: True the first time, False ever after (until it expires)."""
        item = NotifiedItem(
            keys.user_pk(user_id), keys.notified_sk(key), expires_at=int(time.time()) + ONCE_KEEP_S
        )
        try:
            write([Save(item, NotifiedItem.pk.does_not_exist())], account=kept(user_id))
        except ConditionFailed:
            return False
        return True
