"""Accounts: sign-up, sign-in with lockout, token refresh, TOTP, and tier changes.

Every attempt is audited with its outcome; a password or a code never is. A sign-up either creates
the directory user and the profile together or undoes what it made; a profile found
missing at sign-in (a crash half-way) is created then.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import NijaError, NotFound, RateLimited, ServiceUnavailable, Unauthenticated
from nija.domain.models import Tier, User, UserStatus
from nija.domain.passwords import check_password
from nija.ports.audit import AuditLog
from nija.ports.identity import Challenge, IdentityProvider, LoginGuards, Tokens, Verdicts
from nija.ports.stores import UserStore

GUARD_RETRIES = 5


class Users(UserStore, Protocol):
    def create_user(self, user: User) -> bool: ...

    def list_users(
        self, status: UserStatus | None, tier: Tier | None, limit: int, cursor: str | None
    ) -> tuple[list[User], str | None]: ...


def email_subject(email: str) -> str:
    """Audit subject for a sign-in name before a user id is known (no address in the key)."""
    return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def token_subject(access_token: str) -> str:
    """The `sub` of a token Cognito has just issued to us (it came over TLS from the issuer)."""
    payload = access_token.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


@dataclass
class Accounts:
    idp: IdentityProvider
    users: Users
    guards: LoginGuards
    audit: AuditLog
    auto_confirm: bool = False
    verdicts: Verdicts | None = None  # cached authorizations, forgotten when a user's standing changes
    clock: Callable[[], float] = field(default=time.time)

    def _audit(
        self,
        action: str,
        outcome: Outcome,
        subject: str,
        actor: str | None = None,
        source_ip: str | None = None,
        **details: str,
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                outcome=outcome,
                subject=subject,
                actor=actor or subject,
                details=details,
                source_ip=source_ip,
            )
        )

    # --- sign-up -----------------------------------------------------------------------------

    def sign_up(self, email: str, password: str, source_ip: str | None = None) -> User:
        email = email.strip().lower()
        subject = email_subject(email)
        try:
            check_password(password)
            user_id = self.idp.sign_up(email, password)
        except NijaError as exc:
            self._audit("auth.signup", Outcome.FAILURE, subject, source_ip=source_ip, reason=exc.code)
            raise
        try:
            if self.auto_confirm:
                self.idp.confirm_at_once(email)
            user = self.provision(user_id, email)
        except Exception as exc:
            self.idp.delete(email)  # nothing half-made: no directory user without a profile
            self._audit(
                "auth.signup", Outcome.FAILURE, user_id, source_ip=source_ip, reason=type(exc).__name__
            )
            raise
        self._audit("auth.signup", Outcome.SUCCESS, user_id, source_ip=source_ip)
        return user

    def provision(self, user_id: str, email: str, tier: Tier = Tier.BASIC, new: bool = False) -> User:
        """The profile in `tier`, or the one that exists already. `new`: the directory user was made
        just now, so no profile can exist yet (no read)."""
        existing = None if new else self.users.get_user(user_id)
        if existing is not None:
            return existing
        user = User(user_id=user_id, email=email, tier=tier)
        if not self.users.create_user(user):  # a concurrent sign-in made it first: keep theirs
            found = self.users.get_user(user_id)
            if found is None:
                raise ServiceUnavailable("the profile could not be read back")
            return found
        return user

    def confirm(self, email: str, code: str, source_ip: str | None = None) -> None:
        email = email.strip().lower()
        try:
            self.idp.confirm(email, code)
        except NijaError as exc:
            self._audit(
                "auth.confirm", Outcome.FAILURE, email_subject(email), source_ip=source_ip, reason=exc.code
            )
            raise
        self._audit("auth.confirm", Outcome.SUCCESS, email_subject(email), source_ip=source_ip)

    # --- sign-in -----------------------------------------------------------------------------

    def _update_guard(self, email: str, change: Callable[[Any], Any]) -> None:
        for _ in range(GUARD_RETRIES):
            guard = self.guards.get_guard(email)
            if self.guards.put_guard(email, change(guard)):
                return
        raise ServiceUnavailable("sign-in is busy for this account; try again")

    def _refuse_if_locked(self, email: str, action: str, source_ip: str | None) -> None:
        retry_after = self.guards.get_guard(email).retry_after(self.clock())
        if retry_after is not None:
            self._audit(action, Outcome.REFUSED, email_subject(email), source_ip=source_ip, reason="locked")
            raise RateLimited(
                "too many failed sign-ins; this account is locked for a while", retry_after=retry_after
            )

    def _failed(self, email: str, action: str, exc: NijaError, source_ip: str | None) -> None:
        if isinstance(exc, Unauthenticated):
            now = self.clock()
            self._update_guard(email, lambda g: g.after_failure(now))
        self._audit(action, Outcome.FAILURE, email_subject(email), source_ip=source_ip, reason=exc.code)

    def _succeeded(self, email: str, action: str, tokens: Tokens, source_ip: str | None) -> Tokens:
        self._update_guard(email, lambda g: g.after_success())
        user_id = token_subject(tokens.access_token)
        self.provision(user_id, email)
        self._audit(action, Outcome.SUCCESS, user_id, source_ip=source_ip)
        return tokens

    def log_in(self, email: str, password: str, source_ip: str | None = None) -> Tokens | Challenge:
        email = email.strip().lower()
        self._refuse_if_locked(email, "auth.login", source_ip)
        try:
            result = self.idp.log_in(email, password)
        except NijaError as exc:
            self._failed(email, "auth.login", exc, source_ip)
            raise
        if isinstance(result, Challenge):
            self._audit(
                "auth.login", Outcome.SUCCESS, email_subject(email), source_ip=source_ip, step="mfa_challenge"
            )
            return result
        return self._succeeded(email, "auth.login", result, source_ip)

    def answer_mfa(self, email: str, session: str, code: str, source_ip: str | None = None) -> Tokens:
        email = email.strip().lower()
        self._refuse_if_locked(email, "auth.mfa_verify", source_ip)
        try:
            tokens = self.idp.answer_mfa(email, session, code)
        except NijaError as exc:
            self._failed(email, "auth.mfa_verify", exc, source_ip)
            raise
        return self._succeeded(email, "auth.mfa_verify", tokens, source_ip)

    def refresh(self, refresh_token: str) -> Tokens:
        return self.idp.refresh(refresh_token)

    # --- TOTP --------------------------------------------------------------------------------

    def start_totp(self, user_id: str, access_token: str) -> dict[str, str]:
        user = self.profile(user_id)
        secret = self.idp.start_totp(access_token)
        self._audit("auth.mfa_setup", Outcome.SUCCESS, user_id)
        label = quote(f"NIJA:{user.email}")
        return {"secret_code": secret, "otpauth_uri": f"otpauth://totp/{label}?secret={secret}&issuer=NIJA"}

    def enable_totp(self, user_id: str, access_token: str, code: str) -> User:
        user = self.profile(user_id)
        try:
            self.idp.enable_totp(access_token, code)
        except NijaError as exc:
            self._audit("auth.mfa_enable", Outcome.FAILURE, user_id, reason=exc.code)
            raise
        updated = self.users.update_user(user_id, mfa_enabled=True) or user
        self._audit("auth.mfa_enable", Outcome.SUCCESS, user_id)
        return updated

    # --- profile and tiers -------------------------------------------------------------------

    def profile(self, user_id: str) -> User:
        user = self.users.get_user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user

    def set_status(self, admin_id: str, user_id: str, status: UserStatus) -> User:
        """Disable a user (no sign-in, every session ended, every API call refused, no orders placed
        for them) or enable them again. The profile is written first: it is what every check reads."""
        user = self.profile(user_id)
        if user.status is status:
            return user
        action = "admin.user_enable" if status is UserStatus.ACTIVE else "admin.user_disable"
        event = _admin_event(action, admin_id, user_id, old=user.status.value, new=status.value)
        updated = self.users.update_user(user_id, audit=event, status=status)  # with its record, atomically
        if updated is None:
            raise NotFound(f"user {user_id} not found")
        self._forget_verdicts(user_id)
        self.idp.set_enabled(user.email, status is UserStatus.ACTIVE)
        return updated

    def list_users(
        self, status: UserStatus | None, tier: Tier | None, limit: int, cursor: str | None
    ) -> tuple[list[User], str | None]:
        return self.users.list_users(status, tier, limit, cursor)

    def change_tier(self, admin_id: str, user_id: str, tier: Tier) -> User:
        user = self.profile(user_id)
        event = _admin_event("admin.tier_change", admin_id, user_id, old=user.tier.value, new=tier.value)
        updated = self.users.update_user(user_id, audit=event, tier=tier)
        if updated is None:
            raise NotFound(f"user {user_id} not found")
        self._forget_verdicts(user_id)
        return updated

    def _forget_verdicts(self, user_id: str) -> None:
        """The next request of the user is authorized afresh: refused at once once disabled (every
        write checks the profile itself whatever is cached), and held to a new tier at once."""
        if self.verdicts is not None:
            self.verdicts.forget(user_id)


def _admin_event(action: str, admin_id: str, user_id: str, **details: str) -> AuditEvent:
    return AuditEvent(
        action=action, outcome=Outcome.SUCCESS, subject=user_id, actor=admin_id, details=details
    )
