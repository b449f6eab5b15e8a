"""Where each user's permissions are kept (nija.domain.permissions; the DynamoDB adapter implements it)."""

from __future__ import annotations

from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.permissions import PermissionsRecord


class PermissionsStore(Protocol):
    def get(self, user_id: str) -> PermissionsRecord:
        """The user's permissions as stored (a consistent read); the defaults when none were set."""
        ...

    def put(self, user_id: str, record: PermissionsRecord, audit: AuditEvent) -> None:
        """Replace them, with `audit` their record, in one write; AccountInactive for an account
        being erased or gone."""
        ...
