"""Identity ports: the user directory (Cognito), sign-in guards, cached authorization verdicts."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from nija.domain.lockout import LoginGuard


class Tokens(BaseModel):
    access_token: str
    id_token: str
    refresh_token: str | None = None
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret


class Challenge(BaseModel):
    challenge: str
    session: str


class DirectoryUser(BaseModel):
    """A user of the directory as an administrator sees it."""

    user_id: str  # the token's `sub`
    status: str  # Cognito's UserStatus: CONFIRMED, FORCE_CHANGE_PASSWORD (invited, never signed in), ...
    enabled: bool

    @property
    def never_signed_in(self) -> bool:
        return self.status == "FORCE_CHANGE_PASSWORD"


class IdentityProvider(Protocol):
    """Errors: InvalidInput (e.g. weak password), Conflict (email taken), Unauthenticated (bad
    credentials or code), RateLimited, ServiceUnavailable."""

    def sign_up(self, email: str, password: str) -> str:
        """Create the directory user; returns its user id (the token's `sub`)."""
        ...

    def confirm(self, email: str, code: str) -> None: ...

    def confirm_at_once(self, email: str) -> None:
        """Confirm without the emailed code (the local stack only)."""
        ...

    def delete(self, email: str) -> None:
        """Remove the directory user (undoing a sign-up that could not finish)."""
        ...

    def set_enabled(self, email: str, enabled: bool) -> None:
        """Let the user sign in again, or stop them: disabling also ends every session they have."""
        ...

    def log_in(self, email: str, password: str) -> Tokens | Challenge: ...

    def refresh(self, refresh_token: str) -> Tokens: ...

    def answer_mfa(self, email: str, session: str, code: str) -> Tokens: ...

    def start_totp(self, access_token: str) -> str:
        """Begin TOTP enrolment; returns the shared secret (base32)."""
        ...

    def enable_totp(self, access_token: str, code: str) -> None: ...

    def totp_enabled(self, access_token: str) -> bool:
        """Whether the token's user has TOTP on."""
        ...

    def find(self, email: str) -> DirectoryUser | None:
        """The directory user with this address, None when there is none (an administrator's read)."""
        ...

    def invite(self, email: str, temporary_password: str | None) -> str:
        """Create a directory user for someone else (an imported account), address verified, who
        must choose a password at their first sign-in; returns its user id. Without a temporary
        password the directory makes one and emails the invitation itself; with one, it sends
        nothing (the caller delivers the invitation, or withholds it). Conflict: the address is taken."""
        ...


class SessionsProvider(IdentityProvider, Protocol):
    """Recovery and sessions: Unauthenticated for a token that is no longer valid."""

    def forgot_password(self, email: str) -> None:
        """Send a reset code to the address; an unknown address is no error (nothing is sent)."""
        ...

    def reset_password(self, email: str, code: str, new_password: str) -> None: ...

    def change_password(self, access_token: str, current_password: str, new_password: str) -> None: ...

    def resend_confirmation(self, email: str) -> None:
        """Send the sign-up code again; an unknown or confirmed address is no error (nothing is sent)."""
        ...

    def revoke(self, refresh_token: str) -> None:
        """End the session of this refresh token (it and the tokens it issued)."""
        ...

    def sign_out_everywhere(self, access_token: str) -> None:
        """End every session of the token's user, this one included."""
        ...

    def sign_out_user(self, email: str) -> None:
        """End every session of the user (an administrator's call: no token of theirs at hand)."""
        ...

    def disable_totp(self, access_token: str, code: str) -> None:
        """Turn TOTP off once `code` proves the authenticator is at hand."""
        ...


class LoginGuards(Protocol):
    def get_guard(self, name: str) -> LoginGuard: ...

    def put_guard(self, name: str, guard: LoginGuard) -> bool:
        """Store `guard` if the stored version is still guard.version - 1; False on a lost race."""
        ...


class Verdicts(Protocol):
    """Cached authorization verdicts (API Gateway's authorizer cache; the local stack's middleware)."""

    def forget(self, user_id: str) -> None:
        """Drop every cached verdict for the user, so their next request is authorized afresh (an
        account just disabled, erased or moved to another tier)."""
        ...
