"""Cognito through boto3: sign-in. Errors become domain errors; a password never reaches a log."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from nija.adapters.aws import client
from nija.config import get_settings
from nija.domain.errors import Forbidden, RateLimited, ServiceUnavailable, Unauthenticated

_BAD_LOGIN = "incorrect email or password"


def _client_id() -> str:
    client_id = get_settings().user_pool_client_id
    if not client_id:
        raise ServiceUnavailable("sign-in is not configured (NIJA_USER_POOL_CLIENT_ID)")
    return client_id


def login(email: str, password: str) -> dict[str, Any]:
    """USER_PASSWORD_AUTH. Returns tokens, or a challenge (e.g. SOFTWARE_TOKEN_MFA) with its session."""
    try:
        result = client("cognito-idp").initiate_auth(
            ClientId=_client_id(),
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in ("NotAuthorizedException", "UserNotFoundException"):
            raise Unauthenticated(_BAD_LOGIN) from None
        if code == "UserNotConfirmedException":
            raise Forbidden("this account is not confirmed yet") from None
        if code == "PasswordResetRequiredException":
            raise Forbidden("a password reset is required for this account") from None
        if code in ("TooManyRequestsException", "LimitExceededException"):
            raise RateLimited("too many sign-in attempts; try again later", retry_after=60) from None
        raise ServiceUnavailable("the identity service did not answer") from None
    except EndpointConnectionError:
        raise ServiceUnavailable("the identity service did not answer") from None
    if "ChallengeName" in result:
        return {"challenge": result["ChallengeName"], "session": result.get("Session")}
    auth = result["AuthenticationResult"]
    return {
        "access_token": auth["AccessToken"],
        "id_token": auth["IdToken"],
        "refresh_token": auth.get("RefreshToken"),
        "expires_in": auth["ExpiresIn"],
        "token_type": "Bearer",
    }
