"""The vault port: sealed broker credentials, kept per user and broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.credentials import BrokerCredentials, CredentialMetadata, Permission
from nija.domain.models import BrokerName
from nija.domain.standing import Standing


class Vault(Protocol):
    def put(self, user_id: str, credentials: BrokerCredentials, version: int) -> None:
        """Seal and store (create or replace) the user's credentials for their broker."""
        ...

    def get(self, user_id: str, broker: BrokerName) -> BrokerCredentials:
        """Open them. NotFound when the user has none for this broker."""
        ...

    def delete(self, user_id: str, broker: BrokerName) -> None: ...

    def rewrap(self, user_id: str, broker: BrokerName) -> None:
        """Seal the same credentials again under a fresh data key."""
        ...


class KeyChecker(Protocol):
    def __call__(self, credentials: BrokerCredentials, *, user_id: str) -> Permission:
        """Prove the keys work with the broker (a balance call) and say what they may do."""
        ...


class CredentialIndex(Protocol):
    """Metadata of stored credentials: never the credentials."""

    def put_metadata(
        self, meta: CredentialMetadata, audit: AuditEvent | None = None, standing: Standing = Standing.ACTIVE
    ) -> None:
        """Store the metadata; with `audit`, its event in the same transaction; only while the
        account stands (AccountInactive otherwise: nija.domain.standing)."""
        ...

    def get_metadata(self, user_id: str, broker: BrokerName) -> CredentialMetadata | None: ...

    def list_metadata(self, user_id: str) -> list[CredentialMetadata]: ...

    def delete_metadata(self, user_id: str, broker: BrokerName, audit: AuditEvent | None = None) -> None:
        """Forget the metadata; with `audit`, its event in the same transaction."""
        ...

    def all_metadata(self) -> Iterator[CredentialMetadata]: ...

    def lock(self, user_id: str, holder: str, ttl_s: int, standing: Standing = Standing.ACTIVE) -> bool:
        """Take the write lock of one user's vault, every broker's keys (False: someone else holds
        it), only while the account stands (AccountInactive otherwise)."""
        ...

    def unlock(self, user_id: str, holder: str) -> None: ...
