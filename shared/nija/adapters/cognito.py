"""The identity provider over Cognito (boto3): the real user pool on AWS, moto's locally.

Cognito's error codes become domain errors here and nowhere else; a password never reaches a log.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from nija.adapters.aws import client
from nija.config import get_settings
from nija.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from nija.ports.identity import Challenge, Tokens

BAD_LOGIN = "incorrect email or password"

_ERRORS: dict[str, Any] = {
    "NotAuthorizedException": lambda m: Unauthenticated(BAD_LOGIN),
    "UserNotFoundException": lambda m: Unauthenticated(BAD_LOGIN),
    "UsernameExistsException": lambda m: Conflict(
        "an account with this email already exists", code="email_taken"
    ),
    "InvalidPasswordException": lambda m: InvalidInput(m, field="password", code="weak_password"),
    "CodeMismatchException": lambda m: Unauthenticated("the code is not right", code="invalid_code"),
    "ExpiredCodeException": lambda m: Unauthenticated("the code has expired", code="expired_code"),
    "EnableSoftwareTokenMFAException": lambda m: InvalidInput(
        "the code is not right", field="code", code="invalid_code"
    ),
    "UserNotConfirmedException": lambda m: Forbidden(
        "this account is not confirmed yet", code="not_confirmed"
    ),
    "PasswordResetRequiredException": lambda m: Forbidden(
        "a password reset is required", code="reset_required"
    ),
    "TooManyRequestsException": lambda m: RateLimited("too many requests; try again later", retry_after=30),
    "LimitExceededException": lambda m: RateLimited("too many attempts; try again later", retry_after=60),
    "TooManyFailedAttemptsException": lambda m: RateLimited("too many failed attempts", retry_after=900),
    "InvalidParameterException": lambda m: InvalidInput(m),
}


@contextmanager
def _mapped(**overrides: Any) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        message = exc.response.get("Error", {}).get("Message", "")
        make = overrides.get(code) or _ERRORS.get(code)
        if make is None:
            raise ServiceUnavailable("the identity service did not answer") from None
        raise make(message) from None
    except ParamValidationError:
        raise InvalidInput("a value is outside what the identity service accepts") from None
    except BotoCoreError:
        raise ServiceUnavailable("the identity service did not answer") from None


def _tokens(result: dict[str, Any]) -> Tokens:
    auth = result["AuthenticationResult"]
    return Tokens(
        access_token=auth["AccessToken"],
        id_token=auth["IdToken"],
        refresh_token=auth.get("RefreshToken"),
        expires_in=auth["ExpiresIn"],
    )


class CognitoIdentity:
    """Reads its pool from the settings at each call, so that functions that never sign anyone in
    (a profile read, a kill switch) need no pool configured."""

    def _configured(self) -> tuple[str, str]:
        settings = get_settings()
        if not settings.user_pool_id or not settings.user_pool_client_id:
            raise ServiceUnavailable(
                "sign-in is not configured (NIJA_USER_POOL_ID, NIJA_USER_POOL_CLIENT_ID)"
            )
        return settings.user_pool_id, settings.user_pool_client_id

    @property
    def pool_id(self) -> str:
        return self._configured()[0]

    @property
    def client_id(self) -> str:
        return self._configured()[1]

    @property
    def _idp(self) -> Any:
        return client("cognito-idp")

    def sign_up(self, email: str, password: str) -> str:
        with _mapped():
            result = self._idp.sign_up(
                ClientId=self.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        return str(result["UserSub"])

    def confirm(self, email: str, code: str) -> None:
        with _mapped():
            self._idp.confirm_sign_up(ClientId=self.client_id, Username=email, ConfirmationCode=code)

    def confirm_at_once(self, email: str) -> None:
        with _mapped():
            self._idp.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=email)

    def delete(self, email: str) -> None:
        try:
            with _mapped():
                self._idp.admin_delete_user(UserPoolId=self.pool_id, Username=email)
        except Unauthenticated:  # already gone (UserNotFoundException)
            return

    def set_enabled(self, email: str, enabled: bool) -> None:
        with _mapped():
            if enabled:
                self._idp.admin_enable_user(UserPoolId=self.pool_id, Username=email)
            else:
                self._idp.admin_disable_user(UserPoolId=self.pool_id, Username=email)
                self._idp.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)

    def log_in(self, email: str, password: str) -> Tokens | Challenge:
        with _mapped():
            result = self._idp.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        if "ChallengeName" in result:
            return Challenge(challenge=result["ChallengeName"], session=result.get("Session", ""))
        return _tokens(result)

    def refresh(self, refresh_token: str) -> Tokens:
        with _mapped():
            result = self._idp.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        return _tokens(result)

    def answer_mfa(self, email: str, session: str, code: str) -> Tokens:
        # An unknown or expired session: AWS says NotAuthorizedException, moto ResourceNotFoundException.
        expired = {"ResourceNotFoundException": lambda m: Unauthenticated("the sign-in session has expired")}
        with _mapped(**expired):
            result = self._idp.respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=session,
                ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code},
            )
        if "AuthenticationResult" not in result:
            raise Unauthenticated("the code is not right", code="invalid_code")
        return _tokens(result)

    def start_totp(self, access_token: str) -> str:
        with _mapped():
            return str(self._idp.associate_software_token(AccessToken=access_token)["SecretCode"])

    def enable_totp(self, access_token: str, code: str) -> None:
        with _mapped():
            result = self._idp.verify_software_token(
                AccessToken=access_token, UserCode=code, FriendlyDeviceName="NIJA"
            )
            if result.get("Status") != "SUCCESS":
                raise InvalidInput("the code is not right", field="code", code="invalid_code")
            self._idp.set_user_mfa_preference(
                AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
            )
