"""The recovery and session calls' answers (nija.adapters.cognito_sessions), through a real boto3
client and botocore's Stubber: a code request tells nothing about the address (its refusals that
would are swallowed), the others are the right 4xx, and 503 only when the provider did not work."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from nija.adapters.cognito_sessions import CognitoSessions
from nija.api.errors import status_of
from nija.domain.errors import NijaError

TOKEN = "a" * 40


CALLS: dict[str, tuple[str, Callable[[CognitoSessions], Any]]] = {
    "forgot": ("forgot_password", lambda c: c.forgot_password("a@example.com")),
    "resend": ("resend_confirmation_code", lambda c: c.resend_confirmation("a@example.com")),
    "reset": (
        "confirm_forgot_password",
        lambda c: c.reset_password("a@example.com", "123456", "New-Passw0rd!"),
    ),
    "change": ("change_password", lambda c: c.change_password(TOKEN, "Old-Passw0rd!", "New-Passw0rd!")),
    "revoke": ("revoke_token", lambda c: c.revoke(TOKEN)),
    "everywhere": ("global_sign_out", lambda c: c.sign_out_everywhere(TOKEN)),
    "sign_out_user": ("admin_user_global_sign_out", lambda c: c.sign_out_user("a@example.com")),
    "totp_off": ("verify_software_token", lambda c: c.disable_totp(TOKEN, "123456")),
}


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("forgot", "UserNotFoundException"),
        ("forgot", "InvalidParameterException"),  # no verified address
        ("forgot", "NotAuthorizedException"),  # a disabled user
        ("forgot", "SomeFutureException"),
        ("resend", "UserNotFoundException"),
        ("resend", "InvalidParameterException"),  # confirmed already
        ("sign_out_user", "UserNotFoundException"),
    ],
)
def test_refusals_that_would_tell_about_the_address_are_not_told(stub: Stubber, call: str, code: str) -> None:
    method, invoke = CALLS[call]
    stub.add_client_error(method, service_error_code=code, service_message="m", http_status_code=400)
    invoke(CognitoSessions())  # no error: the caller hears 202 as for any address


@pytest.mark.parametrize(
    ("call", "code", "http", "status", "error"),
    [
        ("reset", "CodeMismatchException", 400, 401, "invalid_code"),
        ("reset", "UserNotFoundException", 400, 401, "invalid_code"),  # as a wrong code
        ("reset", "ExpiredCodeException", 400, 401, "expired_code"),
        ("reset", "InvalidPasswordException", 400, 422, "weak_password"),
        ("reset", "LimitExceededException", 400, 429, "rate_limited"),
        ("change", "NotAuthorizedException", 400, 403, "wrong_password"),
        ("change", "InvalidPasswordException", 400, 422, "weak_password"),
        ("revoke", "UnsupportedTokenTypeException", 400, 401, "unauthenticated"),
        ("revoke", "UnsupportedOperationException", 400, 503, "service_unavailable"),  # revocation off
        ("everywhere", "NotAuthorizedException", 400, 401, "unauthenticated"),
        ("totp_off", "CodeMismatchException", 400, 422, "invalid_code"),
        ("totp_off", "EnableSoftwareTokenMFAException", 400, 422, "invalid_code"),
        ("totp_off", "SoftwareTokenMFANotFoundException", 400, 409, "mfa_not_set_up"),
        ("forgot", "InternalErrorException", 500, 503, "service_unavailable"),
        ("forgot", "TooManyRequestsException", 400, 429, "rate_limited"),
        ("sign_out_user", "AccessDeniedException", 400, 503, "service_unavailable"),
    ],
)
def test_each_answer_is_the_right_status(
    stub: Stubber, call: str, code: str, http: int, status: int, error: str
) -> None:
    method, invoke = CALLS[call]
    stub.add_client_error(method, service_error_code=code, service_message="m", http_status_code=http)
    with pytest.raises(NijaError) as raised:
        invoke(CognitoSessions())
    assert (status_of(raised.value), raised.value.code) == (status, error), (call, code, raised.value)
