"""moto's Cognito, made to answer as the deployed user pool does where the local stack relies on it.

The deployed code (nija.adapters.cognito, the token verifier) is the same in both places; it is the
emulator that is brought into line, so that the local stack gives what the cloud gives:

- Tokens live as long as the app client says (AccessTokenValidity and IdTokenValidity, in the
  client's TokenValidityUnits, hours by default as in Cognito): moto gives every token an hour, so
  the local stack handed out 60-minute access tokens where the cloud gives 15. Their `exp` is what
  every verifier checks, so a token past its lifetime is refused as in the cloud.
- A refresh token lives RefreshTokenValidity (days by default): moto's never expired.
- A refresh token whose user is gone (deleted, an erased account), was replaced by a new account
  under the same address, or is disabled, is NotAuthorizedException, as Cognito answers: moto failed
  on the missing user (AttributeError, a 500 the API mapped to 503) and gave the new account's
  tokens for the old account's refresh token.
- An MFA challenge's session is its user's: moto signed in whichever USERNAME came with it.
- Confirming an account that is confirmed already is NotAuthorizedException: moto confirmed again.
- ForgotPassword and ResendConfirmationCode email their code, as Cognito does: to the local email
  outbox (NIJA_EMAIL_OUTBOX, nija.adapters.mail). moto sent nothing (it put the reset code in a
  response header) and accepted any reset code not starting with its own prefix; here a reset needs
  the code sent, within the hour, and a password the pool's policy accepts.
- RevokeToken (moto has none) ends a refresh token: a refresh with it is NotAuthorizedException.
- Once a sign-up code was sent (ResendConfirmationCode), confirming needs that code: moto took any.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# token use -> (the client's validity setting, its unit's name, Cognito's default unit)
VALIDITY = {
    "access": ("AccessTokenValidity", "AccessToken", "hours"),
    "id": ("IdTokenValidity", "IdToken", "hours"),
    "refresh": ("RefreshTokenValidity", "RefreshToken", "days"),
}
MFA_CHALLENGES = ("SOFTWARE_TOKEN_MFA", "SMS_MFA")
CODE_LIFETIME_S = 3600  # Cognito's reset codes last an hour

clock: Callable[[], float] = time.time  # when refresh tokens are issued and checked (tests move it)


def validity_seconds(client_config: dict[str, Any], token_use: str) -> int | None:
    """The app client's lifetime for this kind of token, in seconds; None when it sets none."""
    if token_use not in VALIDITY:
        return None
    name, unit_name, default_unit = VALIDITY[token_use]
    value = client_config.get(name)
    if value is None:
        return None
    unit = (client_config.get("TokenValidityUnits") or {}).get(unit_name, default_unit)
    return int(value) * SECONDS[unit]


def _issued(pool: Any) -> dict[str, tuple[float, str]]:
    """Each refresh token of the pool: when it was issued, and to which user (their sub)."""
    if not hasattr(pool, "nija_refresh_issued"):
        pool.nija_refresh_issued = {}
    return pool.nija_refresh_issued  # type: ignore[no-any-return]


def deliver_code(user: Any, kind: str, code: str) -> None:
    """Email a code to the user's address the local way: a line in the email outbox."""
    from nija.adapters.mail import RecordedMail
    from nija.config import get_settings
    from nija.ports.mail import Email

    what = {"password_reset": "password reset", "signup_confirmation": "sign-up confirmation"}[kind]
    RecordedMail(Path(get_settings().email_outbox)).send(
        Email(
            to=user.attribute_lookup.get("email", user.username),
            subject=f"Your NIJA {what} code",
            body=f"Your {what} code is {code}. It is valid for one hour.",
            kind=kind,
        )
    )


def _pool_and_user(backend: Any, client_id: str, username: str) -> tuple[Any, Any]:
    from moto.cognitoidp.exceptions import ResourceNotFoundError

    for user_pool in backend.user_pools.values():
        if client_id in user_pool.clients:
            return user_pool, user_pool._get_user(username)
    raise ResourceNotFoundError(client_id)


def _install_codes_and_revocation(models: Any) -> None:
    from moto.cognitoidp.exceptions import (
        CodeMismatchException,
        ExpiredCodeException,
        InvalidParameterException,
        UserNotFoundError,
    )
    from moto.cognitoidp.models import find_account_region_by_value
    from moto.cognitoidp.responses import CognitoIdpResponse
    from moto.core.responses import ActionResult, EmptyResult

    backend = models.CognitoIdpBackend
    forgot = backend.forgot_password
    respond_confirm = CognitoIdpResponse.confirm_sign_up

    def forgot_by_email(self: Any, client_id: str, username: str) -> tuple[str | None, dict[str, Any]]:
        _, details = forgot(self, client_id, username)
        _, user = _pool_and_user(self, client_id, username)
        if user is not None:
            code = f"{secrets.randbelow(1_000_000):06d}"
            user.confirmation_code, user.nija_code_at = code, clock()
            deliver_code(user, "password_reset", code)
        return None, details  # the code goes by email only, not in moto's response header

    def confirm_forgot_with_the_code(
        self: Any, client_id: str, username: str, password: str, confirmation_code: str
    ) -> None:
        user_pool, user = _pool_and_user(self, client_id, username)
        if user is None or not user.confirmation_code or user.confirmation_code != confirmation_code:
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        if clock() >= getattr(user, "nija_code_at", 0.0) + CODE_LIFETIME_S:
            raise ExpiredCodeException("Invalid code provided, please request a code again.")
        self._validate_password(user_pool_id=user_pool.id, password=password)
        user.password, user.confirmation_code = password, None
        if user.status is models.UserStatus.RESET_REQUIRED:
            user.status = models.UserStatus.CONFIRMED

    def resend_confirmation_code(self: Any, client_id: str, username: str) -> dict[str, Any]:
        user_pool, user = _pool_and_user(self, client_id, username)
        if user is None:
            raise UserNotFoundError("Username/client id combination not found.")
        if user.status is models.UserStatus.CONFIRMED:
            raise InvalidParameterException("User is already confirmed.")
        code = f"{secrets.randbelow(1_000_000):06d}"
        user.nija_signup_code = code
        deliver_code(user, "signup_confirmation", code)
        recovery = user_pool.extended_config.get("AccountRecoverySetting")
        return {"CodeDeliveryDetails": self._get_code_delivery_details(recovery, user, username)}

    def revoke_token(self: Any, client_id: str, token: str) -> None:
        user_pool, _ = _pool_and_user(self, client_id, "")
        held = user_pool.refresh_tokens.get(token)
        if held is not None and held[0] == client_id:
            user_pool.refresh_tokens[token] = None  # as a global sign-out leaves it: refused at refresh

    def _backend_of(response: Any, client_id: str) -> Any:
        account, region = find_account_region_by_value(
            "client_id", client_id, fallback=(response.current_account, response.region)
        )
        return models.cognitoidp_backends[account][region]

    def respond_resend(self: Any) -> ActionResult:
        client_id = self._get_param("ClientId")
        result = _backend_of(self, client_id).resend_confirmation_code(client_id, self._get_param("Username"))
        return ActionResult(result)

    def respond_revoke(self: Any) -> ActionResult:
        client_id = self._get_param("ClientId")
        _backend_of(self, client_id).revoke_token(client_id, self._get_param("Token"))
        return EmptyResult()

    def confirm_with_the_code_sent(self: Any) -> ActionResult:
        client_id = self._get_param("ClientId")
        _, user = _pool_and_user(_backend_of(self, client_id), client_id, self._get_param("Username"))
        sent = getattr(user, "nija_signup_code", None)
        if sent is not None and self._get_param("ConfirmationCode") != sent:
            raise CodeMismatchException("Invalid verification code provided, please try again.")
        return respond_confirm(self)  # type: ignore[no-any-return]

    backend.forgot_password = forgot_by_email  # type: ignore[method-assign]
    backend.confirm_forgot_password = confirm_forgot_with_the_code  # type: ignore[method-assign]
    backend.resend_confirmation_code = resend_confirmation_code
    backend.revoke_token = revoke_token
    CognitoIdpResponse.resend_confirmation_code = respond_resend
    CognitoIdpResponse.revoke_token = respond_revoke
    CognitoIdpResponse.confirm_sign_up = confirm_with_the_code_sent  # type: ignore[method-assign]


def install() -> None:
    from moto.cognitoidp import models
    from moto.cognitoidp.exceptions import NotAuthorizedError

    pool, backend = models.CognitoIdpUserPool, models.CognitoIdpBackend
    if getattr(pool.create_jwt, "nija_fixed", False):
        return
    create_jwt, create_refresh = pool.create_jwt, pool.create_refresh_token
    from_refresh = pool.create_tokens_from_refresh_token
    respond, confirm = backend.respond_to_auth_challenge, backend.confirm_sign_up

    def create_jwt_for_client(
        self: Any,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 3600,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        app = self.clients.get(client_id)
        configured = validity_seconds(app.extended_config, token_use) if app is not None else None
        return create_jwt(self, client_id, username, token_use, configured or expires_in, extra_data)  # type: ignore[no-any-return]

    def create_refresh_token_of_a_user(self: Any, client_id: str, username: str) -> tuple[str, str]:
        token, origin_jti = create_refresh(self, client_id, username)
        _issued(self)[token] = (clock(), self._get_user(username).id)
        return token, origin_jti  # type: ignore[no-any-return]

    def tokens_of_a_present_user(self: Any, refresh_token: str) -> tuple[str, str, int]:
        held = self.refresh_tokens.get(refresh_token)
        if held is not None:
            client_id, username, _ = held
            user = self._get_user(username)
            issued_at, sub = _issued(self).get(refresh_token, (clock(), user.id if user else ""))
            if user is None or user.id != sub:
                raise NotAuthorizedError("Refresh Token has been revoked")
            if not user.enabled:
                raise NotAuthorizedError("User is disabled.")
            app = self.clients.get(client_id)
            lifetime = validity_seconds(app.extended_config, "refresh") if app is not None else None
            if lifetime is not None and clock() >= issued_at + lifetime:
                raise NotAuthorizedError("Refresh Token has expired")
        return from_refresh(self, refresh_token)  # type: ignore[no-any-return]

    def respond_as_the_sessions_user(
        self: Any, session: str, client_id: str, challenge_name: str, challenge_responses: dict[str, str]
    ) -> dict[str, Any]:
        held = self.sessions.get(session)
        if held is not None and challenge_name in MFA_CHALLENGES:
            username, user_pool = held
            asked = user_pool._get_user(challenge_responses.get("USERNAME", ""))
            if asked is not None and asked is not user_pool._get_user(username):
                raise NotAuthorizedError("Invalid session for the user.")
        return respond(self, session, client_id, challenge_name, challenge_responses)  # type: ignore[no-any-return]

    def confirm_once(self: Any, client_id: str, username: str) -> str:
        for user_pool in self.user_pools.values():
            if client_id in user_pool.clients:
                user = user_pool._get_user(username)
                if user is not None and user.status is models.UserStatus.CONFIRMED:
                    raise NotAuthorizedError("User cannot be confirmed. Current status is CONFIRMED")
        return confirm(self, client_id, username)  # type: ignore[no-any-return]

    create_jwt_for_client.nija_fixed = True  # type: ignore[attr-defined]
    pool.create_jwt = create_jwt_for_client  # type: ignore[method-assign]
    pool.create_refresh_token = create_refresh_token_of_a_user  # type: ignore[method-assign]
    pool.create_tokens_from_refresh_token = tokens_of_a_present_user  # type: ignore[method-assign]
    backend.respond_to_auth_challenge = respond_as_the_sessions_user  # type: ignore[method-assign]
    backend.confirm_sign_up = confirm_once  # type: ignore[method-assign]
    _install_codes_and_revocation(models)
