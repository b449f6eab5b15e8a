"""The user's data rights: an export of everything held about them, and the erasure of their account.

Export: one JSON document, built from the user's records (nija.ports.user_data) and their audit trail,
within a size budget below Lambda's 6 MB synchronous response (API Gateway's own limit is 10 MB).
Everything small is always in it; the audit trail up to AUDIT_LIMIT records; the kinds that grow with
use (orders, trades, snapshots...) newest first until the budget is spent, and the document then says
which kinds it cut short (``complete: false``, ``truncated``, ``notice``).

Erasure, resumable at every step (a retried DELETE after a crash finishes the job):
1. refuse (409 open_orders) while an order of theirs may still fill: they cancel it first;
2. mark the profile (trading_disabled_reason = account_deletion): from here on no write for the
   account succeeds (each checks the mark in its own transaction: nija.domain.standing), so no
   order is recorded, claimed or sent for it; then look for open orders once more;
3. delete their broker keys from the vault (every broker, by name: present or not);
4. purge their items from the state table, all but the profile (nija.ports.user_data.purge);
5. delete their directory user (Cognito): sign-in ends;
6. append ``account.deleted`` to their audit chain (once: not again when the chain ends with it);
7. delete the profile, last: until then a retry with the same token still reaches this code.

The audit chain stays: it is append-only and hash-linked, and keyed by the random user id; with the
profile and the directory user gone nothing maps that id back to a person (see README "Your data").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import Conflict, InvalidInput, NotFound
from nija.domain.models import User, utcnow
from nija.domain.standing import ACCOUNT_DELETION
from nija.logic.accounts import email_subject
from nija.ports.audit import AuditLog
from nija.ports.identity import IdentityProvider, Verdicts
from nija.ports.stores import UserStore
from nija.ports.user_data import BULKY, UserRecords

EXPORT_FORMAT = "nija-export/1"
EXPORT_BUDGET_BYTES = 5_000_000  # below Lambda's 6 MB synchronous response, with room for the envelope
AUDIT_LIMIT = 5_000  # audit records per chain in one export (about 300 bytes each)
DELETION_REASON = ACCOUNT_DELETION
SINGLE = ("profile", "strategy_settings", "risk_settings", "kill_switch")


class SecretEraser(Protocol):
    def delete(self, user_id: str) -> None:
        """Delete the user's sealed keys, every broker's, at once (no recovery window); none is fine."""
        ...


@dataclass
class _Budget:
    left: int

    def take(self, value: Any) -> bool:
        size = len(json.dumps(value, default=str, separators=(",", ":"))) + 1
        if size > self.left:
            return False
        self.left -= size
        return True


def _event(e: AuditEvent) -> dict[str, Any]:
    return e.model_dump(mode="json")


@dataclass
class DataRights:
    users: UserStore
    records: UserRecords
    audit: AuditLog
    secrets: SecretEraser
    idp: IdentityProvider
    verdicts: Verdicts | None = None  # cached authorizations, forgotten once the erasure begins
    budget_bytes: int = EXPORT_BUDGET_BYTES
    audit_limit: int = AUDIT_LIMIT
    clock: Callable[[], datetime] = field(default=utcnow)

    def _profile(self, user_id: str) -> User:
        user = self.users.get_user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    # --- export ------------------------------------------------------------------------------

    def export(self, user_id: str) -> dict[str, Any]:
        user = self._profile(user_id)
        budget = _Budget(self.budget_bytes)
        truncated: list[str] = []
        data: dict[str, Any] = {kind: None for kind in SINGLE}
        for kind, fields in self.records.small_records(user_id):
            budget.take(fields)  # always included: bounded in number whatever the user does
            if kind in SINGLE:
                data[kind] = fields
            else:
                data.setdefault(kind, []).append(fields)

        self.audit.flush_outbox(user_id)  # events still on their way to the chain are in it first

        def audit(subject: str, name: str) -> None:
            events = self.audit.events_for(subject, limit=self.audit_limit + 1)
            data[name] = self._within(
                budget, (_event(e) for e in events[: self.audit_limit]), name, truncated
            )
            if len(events) > self.audit_limit and name not in truncated:
                truncated.append(name)

        audit(user_id, "audit_events")
        # Sign-in attempts on their address before it had a user id are kept under its hash.
        audit(email_subject(user.email), "sign_in_events")
        for kind in BULKY:
            data[kind] = self._within(budget, self.records.bulky_records(user_id, kind), kind, truncated)
        return {
            "format": EXPORT_FORMAT,
            "user_id": user_id,
            "exported_at": self.clock().isoformat(),
            "complete": not truncated,
            "truncated": truncated,
            "notice": (
                f"This export holds the newest records of {', '.join(truncated)} that fit in one "
                f"response ({self.budget_bytes // 1_000_000} MB; audit trails up to {self.audit_limit} "
                "records each). Everything else above is complete."
                if truncated
                else None
            ),
            "data": data,
        }

    def _within(
        self, budget: _Budget, items: Iterable[dict[str, Any]], kind: str, truncated: list[str]
    ) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        for item in items:  # a lazy read: once the budget is spent no further page is read
            if not budget.take(item):
                truncated.append(kind)
                break
            taken.append(item)
        return taken

    # --- erasure -----------------------------------------------------------------------------

    def _record(
        self,
        user_id: str,
        action: str,
        outcome: Outcome,
        source_ip: str | None,
        actor: str | None = None,
        **details: str,
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                outcome=outcome,
                subject=user_id,
                actor=actor or user_id,
                details=details,
                source_ip=source_ip,
            )
        )

    def _refuse_open_orders(self, user_id: str, source_ip: str | None, actor: str | None) -> None:
        open_orders = self.records.open_orders(user_id)
        if open_orders:
            self._record(user_id, "account.delete", Outcome.REFUSED, source_ip, actor, reason="open_orders")
            raise Conflict(
                f"{len(open_orders)} of your orders may still fill; cancel them (DELETE /v1/orders/{{id}}) "
                "and wait until they are canceled, then delete the account",
                code="open_orders",
            )

    def delete_account(
        self, user_id: str, confirm: str, source_ip: str | None = None, actor: str | None = None
    ) -> None:
        """Erase the account, on its owner's request (DELETE /v1/me) or on an admin's for an owner who
        can no longer sign in (`actor`: the admin; POST /admin/users/{id}/erase)."""
        user = self._profile(user_id)
        if confirm.strip().lower() != user.email.strip().lower():
            raise InvalidInput(
                "confirm must be this account's email address", field="confirm", code="confirmation_mismatch"
            )
        self._refuse_open_orders(user_id, source_ip, actor)
        resuming = user.trading_disabled_reason == DELETION_REASON
        if not resuming:
            self.users.update_user(user_id, trading_disabled_reason=DELETION_REASON)
            # From the mark on, no order can be recorded or claimed for the account (every write for
            # it checks the mark: nija.domain.standing), so what is open now is all there will be.
            # One placed or claimed since the first look puts the mark back as it was.
            try:
                self._refuse_open_orders(user_id, source_ip, actor)
            except Conflict:
                self.users.update_user(user_id, trading_disabled_reason=user.trading_disabled_reason)
                raise
            self._record(user_id, "account.delete", Outcome.SUCCESS, source_ip, actor, step="started")
        if self.verdicts is not None:
            self.verdicts.forget(user_id)  # its token is refused from the next request on
        self.secrets.delete(user_id)
        # The events still in the outbox (the orders just canceled...) go into the chain now, before
        # its last record, account.deleted, and before the purge takes the outbox items away.
        self.audit.flush_outbox(user_id)
        removed = self.records.purge(user_id, user.email)
        self.idp.delete(user.email)
        last = self.audit.events_for(user_id, limit=1)
        if not last or last[0].action != "account.deleted":
            self._record(
                user_id,
                "account.deleted",
                Outcome.SUCCESS,
                source_ip,
                actor,
                resumed="true" if resuming else "false",
                items=str(removed),
            )
        self.records.delete_profile(user_id)
