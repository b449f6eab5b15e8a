"""The credential index over DynamoDB: what is stored in the vault, without the keys."""

from __future__ import annotations

import time
from collections.abc import Iterator

from pynamodb.exceptions import DeleteError

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.mapping import credential_from, credential_item
from nija.adapters.dynamo.models import CredentialItem, LockItem
from nija.adapters.dynamo.writes import ConditionFailed, Delete, Save, conditional_failed, write
from nija.domain.audit import AuditEvent
from nija.domain.credentials import CredentialMetadata
from nija.domain.models import BrokerName
from nija.domain.standing import AccountGuard, Standing


class DynamoCredentialIndex:
    def __init__(self) -> None:
        bind()

    def put_metadata(
        self, meta: CredentialMetadata, audit: AuditEvent | None = None, standing: Standing = Standing.ACTIVE
    ) -> None:
        write([Save(credential_item(meta))], audit, account=AccountGuard(meta.user_id, standing))

    def get_metadata(self, user_id: str, broker: BrokerName) -> CredentialMetadata | None:
        try:
            item = CredentialItem.get(
                keys.user_pk(user_id), keys.credential_sk(broker.value), consistent_read=True
            )
        except CredentialItem.DoesNotExist:
            return None
        return credential_from(item)

    def list_metadata(self, user_id: str) -> list[CredentialMetadata]:
        return [
            credential_from(i)
            for i in CredentialItem.query(
                keys.user_pk(user_id), CredentialItem.sk.startswith(keys.CREDENTIAL_PREFIX)
            )
        ]

    def delete_metadata(self, user_id: str, broker: BrokerName, audit: AuditEvent | None = None) -> None:
        write([Delete(CredentialItem(keys.user_pk(user_id), keys.credential_sk(broker.value)))], audit)

    def all_metadata(self) -> Iterator[CredentialMetadata]:
        """Every stored key's metadata, in user and broker order (the re-wrap walks this)."""
        for item in CredentialItem.credentials.query(keys.CREDENTIALS_INDEX):
            yield credential_from(item)

    def lock(self, user_id: str, holder: str, ttl_s: int, standing: Standing = Standing.ACTIVE) -> bool:
        now = time.time()
        item = LockItem(
            keys.user_pk(user_id),
            keys.VAULT_LOCK_SK,
            holder=holder,
            expires_at=now + ttl_s,
        )
        condition = LockItem.pk.does_not_exist() | (LockItem.expires_at < now)
        try:
            write([Save(item, condition)], account=AccountGuard(user_id, standing))
        except ConditionFailed:
            return False
        return True

    def unlock(self, user_id: str, holder: str) -> None:
        try:
            LockItem(keys.user_pk(user_id), keys.VAULT_LOCK_SK).delete(condition=LockItem.holder == holder)
        except DeleteError as exc:
            if not conditional_failed(exc):
                raise
