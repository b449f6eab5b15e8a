"""Account recovery and sessions: reset codes, password changes, signing out, turning TOTP off.

Asking for a code (a reset, the sign-up code again) answers alike for any address: the same status,
the same body, and no sooner than RECOVERY_MIN_S, so neither the answer nor its timing tells whether
the address has an account. Each address may ask for CODE_SENDS codes per window and try
MAX_FAILURES wrong reset codes before it waits (nija.domain.lockout's figures): the count is per
address, known or not, so a 429 tells nothing either.

Every action is audited with its outcome; a password, a code or a token never is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import (
    Forbidden,
    InvalidInput,
    NijaError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from nija.domain.lockout import LoginGuard
from nija.domain.passwords import check_password
from nija.logic.accounts import GUARD_RETRIES, email_subject, token_subject
from nija.ports.audit import AuditLog
from nija.ports.identity import LoginGuards, SessionsProvider
from nija.ports.stores import UserStore

RECOVERY_MIN_S = 0.4  # a code request answers no sooner than this, whether or not a code was sent


def codes_guard(email: str) -> str:
    """The guard name counting the codes sent to an address (hashed into its key like a sign-in name)."""
    return f"codes:{email}"


def reset_guard(email: str) -> str:
    """The guard name counting wrong reset codes for an address."""
    return f"reset:{email}"


def normalized(email: str) -> str:
    return email.strip().lower()


def weak_new_password(password: str) -> None:
    try:
        check_password(password)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field="new_password", code=exc.code) from None


@dataclass
class Recovery:
    idp: SessionsProvider
    users: UserStore
    guards: LoginGuards
    audit: AuditLog
    clock: Callable[[], float] = field(default=time.time)
    monotonic: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)
    min_answer_s: float = RECOVERY_MIN_S

    def _audit(
        self, action: str, outcome: Outcome, subject: str, source_ip: str | None = None, **details: str
    ) -> None:
        self.audit.record(
            AuditEvent(
                action=action,
                outcome=outcome,
                subject=subject,
                actor=subject,
                details=details,
                source_ip=source_ip,
            )
        )

    def _update(self, name: str, change: Callable[[LoginGuard], LoginGuard]) -> None:
        for _ in range(GUARD_RETRIES):
            if self.guards.put_guard(name, change(self.guards.get_guard(name))):
                return
        raise ServiceUnavailable("this account is busy; try again")

    def _refuse_if_held(self, name: str, action: str, subject: str, source_ip: str | None, what: str) -> None:
        retry_after = self.guards.get_guard(name).retry_after(self.clock())
        if retry_after is not None:
            self._audit(action, Outcome.REFUSED, subject, source_ip, reason="rate_limited")
            raise RateLimited(f"too many {what} for this address; try again later", retry_after=retry_after)

    # --- codes by email (public) -------------------------------------------------------------

    def _send_code(self, action: str, email: str, send: Callable[[str], None], source_ip: str | None) -> None:
        """Count the request against the address, send (or, for no account, send nothing), and answer
        no sooner than min_answer_s either way."""
        started = self.monotonic()
        email = normalized(email)
        subject = email_subject(email)
        try:
            self._refuse_if_held(codes_guard(email), action, subject, source_ip, "codes asked")
            now = self.clock()
            self._update(codes_guard(email), lambda g: g.after_failure(now))
            send(email)
            self._audit(action, Outcome.SUCCESS, subject, source_ip)
        finally:
            left = self.min_answer_s - (self.monotonic() - started)
            if left > 0:
                self.sleep(left)

    def forgot_password(self, email: str, source_ip: str | None = None) -> None:
        self._send_code("auth.password_forgot", email, self.idp.forgot_password, source_ip)

    def resend_confirmation(self, email: str, source_ip: str | None = None) -> None:
        self._send_code("auth.confirm_resend", email, self.idp.resend_confirmation, source_ip)

    def reset_password(self, email: str, code: str, new_password: str, source_ip: str | None = None) -> None:
        """Set a new password with an emailed code. Every session of the account ends: whoever held one
        (with the old password) holds nothing now. A sign-in lockout is lifted: the code proves the
        mailbox."""
        email = normalized(email)
        subject = email_subject(email)
        action = "auth.password_reset"
        self._refuse_if_held(reset_guard(email), action, subject, source_ip, "wrong codes")
        try:
            weak_new_password(new_password)
            self.idp.reset_password(email, code, new_password)
        except NijaError as exc:
            if isinstance(exc, Unauthenticated):
                now = self.clock()
                self._update(reset_guard(email), lambda g: g.after_failure(now))
            self._audit(action, Outcome.FAILURE, subject, source_ip, reason=exc.code)
            raise
        self._update(reset_guard(email), lambda g: g.after_success())
        self._update(email, lambda g: g.after_success())  # the sign-in guard (nija.logic.accounts)
        self.idp.sign_out_user(email)
        self._audit(action, Outcome.SUCCESS, subject, source_ip)

    # --- signed in -------------------------------------------------------------------------------

    def _email_of(self, user_id: str) -> str:
        user = self.users.get_user(user_id)
        if user is None:
            raise NotFound(f"user {user_id} not found")
        return user.email

    def change_password(
        self,
        user_id: str,
        access_token: str,
        current_password: str,
        new_password: str,
        source_ip: str | None = None,
    ) -> None:
        """Every session of the user ends, the caller's included (Cognito's global sign-out cannot
        spare one): the client signs in again with the new password. A wrong current password counts
        as a failed sign-in (the same lockout), so a stolen access token cannot try passwords freely."""
        email = normalized(self._email_of(user_id))
        action = "auth.password_change"
        retry_after = self.guards.get_guard(email).retry_after(self.clock())
        if retry_after is not None:
            self._audit(action, Outcome.REFUSED, user_id, source_ip, reason="locked")
            raise RateLimited(
                "too many failed sign-ins; this account is locked for a while", retry_after=retry_after
            )
        try:
            weak_new_password(new_password)
            self.idp.change_password(access_token, current_password, new_password)
        except NijaError as exc:
            if isinstance(exc, Forbidden) and exc.code == "wrong_password":
                now = self.clock()
                self._update(email, lambda g: g.after_failure(now))
            self._audit(action, Outcome.FAILURE, user_id, source_ip, reason=exc.code)
            raise
        self.idp.sign_out_everywhere(access_token)
        self._audit(action, Outcome.SUCCESS, user_id, source_ip, sessions="all_ended")

    def log_out(self, refresh_token: str, everywhere: bool = False, source_ip: str | None = None) -> None:
        """End the refresh token's session, or with `everywhere` every session of its user. The token
        is used once to learn whose it is (for the record). A token that no longer works has no
        session left to end: that is done already (nothing is recorded: nobody is known), except that
        `everywhere` needs to know the user, so it is a 401 then."""
        try:
            tokens = self.idp.refresh(refresh_token)
        except Unauthenticated:
            if everywhere:
                raise
            return
        user_id = token_subject(tokens.access_token)
        if everywhere:
            self.idp.sign_out_everywhere(tokens.access_token)
        else:
            self.idp.revoke(refresh_token)
        scope = "everywhere" if everywhere else "this_session"
        self._audit("auth.logout", Outcome.SUCCESS, user_id, source_ip, scope=scope)

    def disable_totp(self, user_id: str, access_token: str, code: str, source_ip: str | None = None) -> None:
        """Turn TOTP off with a current code from the authenticator; sign-ins ask for a password only."""
        self._email_of(user_id)
        try:
            self.idp.disable_totp(access_token, code)
        except NijaError as exc:
            self._audit("auth.mfa_disable", Outcome.FAILURE, user_id, source_ip, reason=exc.code)
            raise
        self.users.update_user(user_id, mfa_enabled=False)
        self._audit("auth.mfa_disable", Outcome.SUCCESS, user_id, source_ip)
