"""Each user's permissions, one item in their partition (keys.PERMISSIONS). The executor's and the
scan's batches read the same item with the rest of what they read (pretrade.py, scan.py)."""

from __future__ import annotations

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.mapping import permissions_from, permissions_item
from nija.adapters.dynamo.models import PermissionsItem
from nija.adapters.dynamo.writes import Save, write
from nija.domain.audit import AuditEvent
from nija.domain.permissions import PermissionsRecord
from nija.domain.standing import kept


class DynamoPermissions:
    def __init__(self) -> None:
        bind()

    def get(self, user_id: str) -> PermissionsRecord:
        try:
            item = PermissionsItem.get(keys.user_pk(user_id), keys.PERMISSIONS, consistent_read=True)
        except PermissionsItem.DoesNotExist:
            return PermissionsRecord()
        return permissions_from(item)

    def put(self, user_id: str, record: PermissionsRecord, audit: AuditEvent) -> None:
        # Kept, not active: an admin may restrict a disabled account; nothing outlives an erasure.
        write([Save(permissions_item(user_id, record))], audit, account=kept(user_id))
