"""An admin's per-user permissions (GET and PUT /admin/users/{id}/permissions; the user sees them on
GET /v1/me). The checks that enforce them are pure (nija.domain.permissions, run by nija.logic.risk
and the scan); this is reading and replacing them.

PUT replaces the whole set (what it leaves out takes the default: no restriction) and is audited in
the user's chain with the admin as the actor: which fields changed, the set before and after (no
secret in it). Last write wins: the audit chain keeps every earlier set."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import NotFound
from nija.domain.models import utcnow
from nija.domain.permissions import PermissionsRecord, UserPermissions
from nija.ports.permissions import PermissionsStore
from nija.ports.stores import UserStore

AUDIT_ACTION = "admin.permissions_change"


def _shown(permissions: UserPermissions) -> str:
    return json.dumps(permissions.model_dump(mode="json"), separators=(",", ":"), sort_keys=True)


def changed_fields(old: UserPermissions, new: UserPermissions) -> list[str]:
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    return sorted(name for name in after if before[name] != after[name])


@dataclass
class PermissionsService:
    users: UserStore
    store: PermissionsStore
    clock: Callable[[], datetime] = field(default=utcnow)

    def _known(self, user_id: str) -> None:
        if self.users.get_user(user_id) is None:
            raise NotFound(f"user {user_id} not found")

    def get(self, user_id: str) -> PermissionsRecord:
        self._known(user_id)
        return self.store.get(user_id)

    def of(self, user_id: str) -> UserPermissions:
        """What the user may do (their own profile's view): no profile check, no who or when."""
        return self.store.get(user_id).permissions

    def put(self, admin_id: str, user_id: str, new: UserPermissions) -> PermissionsRecord:
        """Replace the user's permissions with `new`, with its audit record, in one write."""
        self._known(user_id)
        old = self.store.get(user_id).permissions
        changed = changed_fields(old, new)
        event = AuditEvent(
            action=AUDIT_ACTION,
            outcome=Outcome.SUCCESS,
            subject=user_id,
            actor=admin_id,
            details={"changed": ",".join(changed) or "none", "before": _shown(old), "after": _shown(new)},
        )
        record = PermissionsRecord(permissions=new, updated_by=admin_id, updated_at=self.clock())
        self.store.put(user_id, record, audit=event)
        return record
