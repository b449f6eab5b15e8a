"""The vault's use cases: connect a broker (validate, seal, store), list, disconnect, re-wrap; and
the executor's read path with a bounded in-memory cache. Every use is audited; no secret ever is."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.credentials import (
    BrokerCredentials,
    CredentialMetadata,
    kept_in_vault,
    mask,
    parse_credentials,
)
from nija.domain.errors import (
    AccountInactive,
    BrokerAuthFailed,
    BrokerError,
    Conflict,
    InvalidInput,
    NijaError,
    NotFound,
)
from nija.domain.models import BrokerName, utcnow
from nija.domain.standing import Standing
from nija.ports.audit import AuditLog
from nija.ports.reconcile import ReconcileBook
from nija.ports.vault import CredentialIndex, KeyChecker, Vault

LOCK_TTL_S = 60


@dataclass
class VaultService:
    vault: Vault
    index: CredentialIndex
    check: KeyChecker
    audit: AuditLog
    reconcile: ReconcileBook
    function: str = "api"

    def _event(
        self,
        action: str,
        outcome: Outcome,
        user_id: str,
        broker: BrokerName,
        actor: str | None = None,
        **details: str,
    ) -> AuditEvent:
        return AuditEvent(
            action=action,
            outcome=outcome,
            subject=user_id,
            actor=actor or user_id,
            details={"broker": broker.value, "function": self.function, **details},
        )

    def _audit(self, action: str, outcome: Outcome, user_id: str, broker: BrokerName, **details: str) -> None:
        """An event that goes with no change of ours (a validation): recorded directly."""
        self.audit.record(self._event(action, outcome, user_id, broker, **details))

    def _locked(
        self,
        user_id: str,
        broker: BrokerName,
        work: Callable[[], CredentialMetadata | None],
        standing: Standing = Standing.ACTIVE,
    ) -> CredentialMetadata | None:
        # One lock per user, not per broker: every broker's keys are versions of one secret, and
        # disconnecting the last one deletes it (nija.adapters.vault).
        holder = uuid.uuid4().hex
        if not self.index.lock(user_id, holder, LOCK_TTL_S, standing):
            raise Conflict(
                f"the broker keys of this account are being changed; try again shortly ({broker.value})"
            )
        try:
            return work()
        finally:
            self.index.unlock(user_id, holder)

    def connect(self, user_id: str, broker: BrokerName, body: object) -> CredentialMetadata:
        """Validate the keys with the broker, refuse keys that can withdraw, then seal and store them,
        all under the lock, which only an active account can take (nothing reaches the broker or the
        vault for an account that is disabled or being erased)."""
        credentials = parse_credentials(broker, body)
        meta = self._locked(user_id, broker, lambda: self._connect(user_id, broker, credentials))
        assert meta is not None
        return meta

    def _connect(
        self, user_id: str, broker: BrokerName, credentials: BrokerCredentials
    ) -> CredentialMetadata:
        try:
            permission = self.check(credentials, user_id=user_id)
        except BrokerAuthFailed as exc:
            self._audit("vault.validate", Outcome.FAILURE, user_id, broker, reason=exc.code)
            raise InvalidInput(
                f"{broker.value} refused these keys: {exc.message}",
                field="credentials",
                code="credentials_rejected",
            ) from None
        except BrokerError as exc:
            self._audit("vault.validate", Outcome.FAILURE, user_id, broker, reason=exc.code)
            raise
        if permission.withdraw:
            self._audit("vault.validate", Outcome.REFUSED, user_id, broker, reason="withdrawal_permission")
            raise InvalidInput(
                f"these {broker.value} keys may withdraw funds; create keys without withdrawal permission",
                field="credentials",
                code="withdrawal_permission",
            )
        self._audit("vault.validate", Outcome.SUCCESS, user_id, broker)
        existing = self.index.get_metadata(user_id, broker)
        version = existing.version + 1 if existing else 1
        now = utcnow()
        if kept_in_vault(broker):
            self.vault.put(user_id, credentials, version)
        meta = CredentialMetadata(
            user_id=user_id,
            broker=broker,
            masked_key=mask(credentials.key_id),
            version=version,
            permissions=permission,
            created_at=existing.created_at if existing else now,
            validated_at=now,
            wrapped_at=now,
            paper_trading=getattr(credentials, "paper", None),
        )
        # The metadata makes the keys usable: its event goes in the same transaction.
        action = "vault.replace" if existing else "vault.store"
        event = self._event(action, Outcome.SUCCESS, user_id, broker, version=str(version))
        try:
            self.index.put_metadata(meta, audit=event)
        except AccountInactive:
            # An erasure began since the lock: its secret deletion may have run already.
            self._forget(user_id, broker)
            raise
        # Reconciled within a minute by the executor (which holds the keys): the account is valued
        # there, and a strategy scan sizes entries from that valuation (nija.logic.sizing).
        self.reconcile.schedule(user_id, broker, now)
        return meta

    def list(self, user_id: str) -> list[CredentialMetadata]:
        return self.index.list_metadata(user_id)

    def connected(self, user_id: str, broker: BrokerName) -> bool:
        return self.index.get_metadata(user_id, broker) is not None

    def disconnect(self, user_id: str, broker: BrokerName) -> None:
        if self.index.get_metadata(user_id, broker) is None:
            # A disconnect that stopped after the metadata (and its audit event) went: the secret goes
            # now (an account being erased loses its whole secret anyway).
            with suppress(AccountInactive):
                self._locked(user_id, broker, lambda: self._forget(user_id, broker), Standing.KEPT)
            raise NotFound(f"no {broker.value} keys are stored for this account")

        def remove() -> None:
            # Metadata first: from here on no new order may use the broker, then the secret goes.
            event = self._event("vault.delete", Outcome.SUCCESS, user_id, broker)
            self.index.delete_metadata(user_id, broker, audit=event)
            self._forget(user_id, broker)

        self._locked(user_id, broker, remove)

    def _forget(self, user_id: str, broker: BrokerName) -> None:
        if kept_in_vault(broker):
            self.vault.delete(user_id, broker)

    def rewrap_all(
        self, before: datetime, on_progress: Callable[[CredentialMetadata], None] | None = None
    ) -> int:
        """Seal every secret last wrapped before `before` under a fresh data key. Resumable: run it
        again with the same `before` and it skips what is done. Returns how many it re-wrapped."""
        done = 0
        for meta in list(self.index.all_metadata()):
            if meta.wrapped_at >= before:
                continue

            def rewrap(meta: CredentialMetadata = meta) -> CredentialMetadata:
                current = self.index.get_metadata(meta.user_id, meta.broker)
                if current is None or current.wrapped_at >= before:
                    return meta  # deleted or replaced meanwhile: nothing to re-wrap
                if kept_in_vault(meta.broker):
                    self.vault.rewrap(meta.user_id, meta.broker)
                updated = current.model_copy(update={"wrapped_at": utcnow()})
                event = self._event(
                    "vault.rewrap", Outcome.SUCCESS, meta.user_id, meta.broker, actor="operator"
                )
                self.index.put_metadata(updated, audit=event, standing=Standing.KEPT)
                return updated

            try:
                self._locked(meta.user_id, meta.broker, rewrap, Standing.KEPT)
            except AccountInactive:
                continue  # being erased: its secret is being deleted, not re-wrapped
            done += 1
            if on_progress:
                on_progress(meta)
        return done


@dataclass
class CachedVaultReader:
    """The executor's read path: opens credentials through the vault and keeps them in this
    process's memory for a bounded time; never writes them anywhere.

    Every failed read is audited, and a process's first read of a user's keys; the refills after
    each TTL are audited again only once `audit_every_s` has passed (a day): the record says which
    function holds the keys, not each time its cache expired (those were ~93 % of all audit
    records, read every ~5 minutes for every connected user by the schedules)."""

    vault: Vault
    audit: AuditLog
    function: str
    ttl_s: float = 300.0
    max_entries: int = 1024
    audit_every_s: float = 86_400.0
    clock: Callable[[], float] = time.monotonic
    _cache: OrderedDict[tuple[str, BrokerName], tuple[float, BrokerCredentials]] = field(
        default_factory=OrderedDict
    )
    _audited: OrderedDict[tuple[str, BrokerName], float] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read(self, user_id: str, broker: BrokerName) -> BrokerCredentials:
        key = (user_id, broker)
        now = self.clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit and hit[0] > now:
                self._cache.move_to_end(key)
                return hit[1]
        try:
            credentials = self.vault.get(user_id, broker)
        except NijaError as exc:
            self._record(user_id, broker, Outcome.FAILURE, reason=exc.code)
            raise
        with self._lock:
            last = self._audited.get(key)
            due = last is None or now - last >= self.audit_every_s
            if due:
                self._audited[key] = now
                self._audited.move_to_end(key)
                while len(self._audited) > self.max_entries:
                    self._audited.popitem(last=False)
        if due:
            self._record(user_id, broker, Outcome.SUCCESS)
        with self._lock:
            self._cache[key] = (now + self.ttl_s, credentials)
            self._cache.move_to_end(key)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return credentials

    def forget(self, user_id: str, broker: BrokerName) -> None:
        """Drop the keys (replaced or deleted): the next read opens the vault and is audited."""
        with self._lock:
            self._cache.pop((user_id, broker), None)
            self._audited.pop((user_id, broker), None)

    def _record(self, user_id: str, broker: BrokerName, outcome: Outcome, **details: str) -> None:
        self.audit.record(
            AuditEvent(
                action="vault.read",
                outcome=outcome,
                subject=user_id,
                actor=self.function,
                details={"broker": broker.value, "function": self.function, **details},
            )
        )
