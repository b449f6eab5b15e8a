"""The identity provider over Cognito (boto3): the real user pool on AWS, moto's locally.

Cognito's error codes become domain errors here and nowhere else; a password never reaches a log.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from nija.adapters.aws import client
from nija.config import get_settings
from nija.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NijaError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
)
from nija.ports.identity import Challenge, DirectoryUser, Tokens

BAD_LOGIN = "incorrect email or password"
Make = Callable[[str], NijaError]

# Cognito's answers by error code (their messages are not relied on). An answer about the caller's
# request is the caller's 4xx; an answer about the provider itself is 503.
_ERRORS: dict[str, Make] = {
    "NotAuthorizedException": lambda m: Unauthenticated(BAD_LOGIN),
    "UserNotFoundException": lambda m: Unauthenticated(BAD_LOGIN),
    "UsernameExistsException": lambda m: Conflict(
        "an account with this email already exists", code="email_taken"
    ),
    "AliasExistsException": lambda m: Conflict(
        "an account with this email already exists", code="email_taken"
    ),
    "InvalidPasswordException": lambda m: InvalidInput(m, field="password", code="weak_password"),
    "PasswordHistoryPolicyViolationException": lambda m: InvalidInput(
        "this password was used before", field="password", code="weak_password"
    ),
    "CodeMismatchException": lambda m: Unauthenticated("the code is not right", code="invalid_code"),
    "ExpiredCodeException": lambda m: Unauthenticated("the code has expired", code="expired_code"),
    "EnableSoftwareTokenMFAException": lambda m: InvalidInput(
        "the code is not right", field="code", code="invalid_code"
    ),
    "SoftwareTokenMFANotFoundException": lambda m: Conflict(
        "start TOTP set-up first (POST /v1/auth/mfa/setup)", code="mfa_not_set_up"
    ),
    "UserNotConfirmedException": lambda m: Forbidden(
        "this account is not confirmed yet", code="not_confirmed"
    ),
    "PasswordResetRequiredException": lambda m: Forbidden(
        "a password reset is required", code="reset_required"
    ),
    "ForbiddenException": lambda m: Forbidden("the identity service refused this request"),
    "ConcurrentModificationException": lambda m: Conflict("the account changed meanwhile; try again"),
    "TooManyRequestsException": lambda m: RateLimited("too many requests; try again later", retry_after=30),
    "LimitExceededException": lambda m: RateLimited("too many attempts; try again later", retry_after=60),
    "TooManyFailedAttemptsException": lambda m: RateLimited("too many failed attempts", retry_after=900),
    "InvalidParameterException": lambda m: InvalidInput(m),
}
# Answers about the provider, its configuration or what it depends on: not the caller's doing.
_UNAVAILABLE = frozenset(
    {
        "InternalErrorException",
        "InvalidUserPoolConfigurationException",
        "ResourceNotFoundException",  # the pool or its app client (a session only where mapped so)
        "InvalidLambdaResponseException",
        "UnexpectedLambdaException",
        "UserLambdaValidationException",
        "InvalidSmsRoleAccessPolicyException",
        "InvalidSmsRoleTrustRelationshipException",
        "InvalidEmailRoleAccessPolicyException",
        "CodeDeliveryFailureException",
        "AccessDeniedException",  # our own credentials or role, not the caller's request
        "UnrecognizedClientException",
        "ExpiredTokenException",
    }
)
_UNAVAILABLE_MESSAGE = "the identity service did not answer"


# Each operation's answer to a refusal that has no entry above (a 4xx with a code we do not know):
# the caller's request was refused, and retrying will not change that, so it is never a 503.
def _signup_refused(message: str) -> NijaError:
    return InvalidInput("the identity service refused these details")


def _wrong_code(message: str) -> NijaError:
    return Unauthenticated("the code is not right", code="invalid_code")


def _bad_login(message: str) -> NijaError:
    return Unauthenticated(BAD_LOGIN)


def _refresh_refused(message: str) -> NijaError:
    return Unauthenticated("the refresh token is not valid or has expired; sign in again")


def _session_refused(message: str) -> NijaError:
    return Unauthenticated("the sign-in session has expired or is not this account's; sign in again")


def _token_refused(message: str) -> NijaError:
    return Unauthenticated("the access token is no longer valid; sign in again")


def _already_confirmed(message: str) -> NijaError:
    return Conflict("this account is already confirmed", code="already_confirmed")


def _no_directory_user(message: str) -> NijaError:
    return NotFound("this user has no sign-in account")


def _provider_refused(message: str) -> NijaError:
    # Our own admin call refused (not a caller's input): nothing the caller can change.
    return ServiceUnavailable(_UNAVAILABLE_MESSAGE)


@contextmanager
def _mapped(refused: Make, **overrides: Make) -> Iterator[None]:
    """Cognito's errors as domain errors: `overrides` first, then the table; 503 for an answer about
    the provider (its codes above, a 5xx, no answer at all); else the operation's `refused`."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 500
        make = overrides.get(code) or _ERRORS.get(code)
        if make is not None:
            raise make(message) from None
        if code in _UNAVAILABLE or status >= 500:
            raise ServiceUnavailable(_UNAVAILABLE_MESSAGE) from None
        raise refused(message) from None
    except ParamValidationError:
        raise InvalidInput("a value is outside what the identity service accepts") from None
    except BotoCoreError:
        raise ServiceUnavailable(_UNAVAILABLE_MESSAGE) from None


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
        with _mapped(_signup_refused):
            result = self._idp.sign_up(
                ClientId=self.client_id,
                Username=email,
                Password=password,
                UserAttributes=[{"Name": "email", "Value": email}],
            )
        return str(result["UserSub"])

    def confirm(self, email: str, code: str) -> None:
        # No such user answers as a wrong code does (no account enumeration); a confirmed account
        # is NotAuthorizedException ("Current status is CONFIRMED").
        with _mapped(
            _wrong_code, UserNotFoundException=_wrong_code, NotAuthorizedException=_already_confirmed
        ):
            self._idp.confirm_sign_up(ClientId=self.client_id, Username=email, ConfirmationCode=code)

    def confirm_at_once(self, email: str) -> None:
        with _mapped(_provider_refused):
            self._idp.admin_confirm_sign_up(UserPoolId=self.pool_id, Username=email)

    def delete(self, email: str) -> None:
        try:
            with _mapped(_provider_refused, UserNotFoundException=_no_directory_user):
                self._idp.admin_delete_user(UserPoolId=self.pool_id, Username=email)
        except NotFound:  # already gone
            return

    def set_enabled(self, email: str, enabled: bool) -> None:
        try:
            with _mapped(_provider_refused, UserNotFoundException=_no_directory_user):
                if enabled:
                    self._idp.admin_enable_user(UserPoolId=self.pool_id, Username=email)
                else:
                    self._idp.admin_disable_user(UserPoolId=self.pool_id, Username=email)
                    self._idp.admin_user_global_sign_out(UserPoolId=self.pool_id, Username=email)
        except NotFound:
            if enabled:
                raise
            # Disabling a user who has no sign-in account: nobody can sign in as them already.

    def log_in(self, email: str, password: str) -> Tokens | Challenge:
        with _mapped(_bad_login):
            result = self._idp.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": email, "PASSWORD": password},
            )
        if "ChallengeName" in result:
            return Challenge(challenge=result["ChallengeName"], session=result.get("Session", ""))
        return _tokens(result)

    def refresh(self, refresh_token: str) -> Tokens:
        # A revoked, expired or unknown token, or one whose user is gone or disabled: 401, never 503.
        with _mapped(
            _refresh_refused,
            NotAuthorizedException=_refresh_refused,
            UserNotFoundException=_refresh_refused,
            InvalidParameterException=_refresh_refused,
        ):
            result = self._idp.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="REFRESH_TOKEN_AUTH",
                AuthParameters={"REFRESH_TOKEN": refresh_token},
            )
        return _tokens(result)

    def answer_mfa(self, email: str, session: str, code: str) -> Tokens:
        # An unknown, expired or another user's session: AWS says NotAuthorizedException, moto
        # ResourceNotFoundException; a user deleted since the challenge, UserNotFoundException.
        with _mapped(
            _session_refused,
            NotAuthorizedException=_session_refused,
            ResourceNotFoundException=_session_refused,
            UserNotFoundException=_session_refused,
        ):
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
        with _mapped(
            _token_refused, NotAuthorizedException=_token_refused, UserNotFoundException=_token_refused
        ):
            return str(self._idp.associate_software_token(AccessToken=access_token)["SecretCode"])

    def enable_totp(self, access_token: str, code: str) -> None:
        with _mapped(
            _token_refused, NotAuthorizedException=_token_refused, UserNotFoundException=_token_refused
        ):
            result = self._idp.verify_software_token(
                AccessToken=access_token, UserCode=code, FriendlyDeviceName="NIJA"
            )
            if result.get("Status") != "SUCCESS":
                raise InvalidInput("the code is not right", field="code", code="invalid_code")
            self._idp.set_user_mfa_preference(
                AccessToken=access_token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
            )

    def totp_enabled(self, access_token: str) -> bool:
        """Whether the token's user has TOTP on: GetUser, which the token itself authorizes (no IAM)."""
        with _mapped(
            _token_refused, NotAuthorizedException=_token_refused, UserNotFoundException=_token_refused
        ):
            found = self._idp.get_user(AccessToken=access_token)
        return "SOFTWARE_TOKEN_MFA" in (found.get("UserMFASettingList") or [])

    def find(self, email: str) -> DirectoryUser | None:
        try:
            with _mapped(_provider_refused, UserNotFoundException=_no_directory_user):
                found = self._idp.admin_get_user(UserPoolId=self.pool_id, Username=email)
        except NotFound:
            return None
        sub = next(a["Value"] for a in found.get("UserAttributes", []) if a["Name"] == "sub")
        return DirectoryUser(
            user_id=sub, status=found["UserStatus"], enabled=bool(found.get("Enabled", True))
        )

    def invite(self, email: str, temporary_password: str | None) -> str:
        delivery: dict[str, Any] = (
            {"DesiredDeliveryMediums": ["EMAIL"]}
            if temporary_password is None
            else {"TemporaryPassword": temporary_password, "MessageAction": "SUPPRESS"}
        )
        with _mapped(_provider_refused):
            created = self._idp.admin_create_user(
                UserPoolId=self.pool_id,
                Username=email,
                UserAttributes=[
                    {"Name": "email", "Value": email},
                    {"Name": "email_verified", "Value": "true"},
                ],
                **delivery,
            )["User"]
        return str(next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub"))
