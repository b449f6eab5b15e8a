"""Registered devices in the state table: USER#<id> / DEVICE#<hash of the token>, the token inside."""

from __future__ import annotations

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.models import DeviceItem, bind
from nija.domain.models import utcnow
from nija.domain.notifications import MAX_DEVICES, Device, device_key

PREFIX = "DEVICE#"


class DynamoDevices:
    def __init__(self) -> None:
        bind()

    def add(self, user_id: str, device: Device) -> bool:
        known = self.list(user_id)
        if len(known) >= MAX_DEVICES and device.token not in {d.token for d in known}:
            return False
        DeviceItem(
            keys.user_pk(user_id),
            PREFIX + device.key,
            token=device.token,
            platform=device.platform,
            registered_at=utcnow(),
        ).save()
        return True

    def remove(self, user_id: str, token: str) -> bool:
        try:
            item = DeviceItem.get(keys.user_pk(user_id), PREFIX + device_key(token), consistent_read=True)
        except DeviceItem.DoesNotExist:
            return False
        item.delete()
        return True

    def list(self, user_id: str) -> list[Device]:
        return [
            Device(token=i.token, platform=i.platform)
            for i in DeviceItem.query(keys.user_pk(user_id), DeviceItem.sk.startswith(PREFIX))
        ]
