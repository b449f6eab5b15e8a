"""Cognito's answers as HTTP statuses, through the adapter and a real boto3 client (botocore's own
Stubber gives each answer; no request leaves the process). A refusal of the caller's request is the
right 4xx, never 503; 503 only when the provider itself did not work. The answers moto gives are
tested against moto in tests/integration/test_accounts.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.stub import Stubber

from nija.adapters.cognito import CognitoIdentity
from nija.api.errors import status_of
from nija.domain.errors import NijaError

TOKEN = "a" * 40


CALLS: dict[str, tuple[str, Callable[[CognitoIdentity], Any]]] = {
    "refresh": ("initiate_auth", lambda c: c.refresh(TOKEN)),
    "log_in": ("initiate_auth", lambda c: c.log_in("a@example.com", "pw")),
    "answer_mfa": ("respond_to_auth_challenge", lambda c: c.answer_mfa("a@example.com", TOKEN, "123456")),
    "confirm": ("confirm_sign_up", lambda c: c.confirm("a@example.com", "123456")),
    "sign_up": ("sign_up", lambda c: c.sign_up("a@example.com", "pw")),
    "start_totp": ("associate_software_token", lambda c: c.start_totp(TOKEN)),
    "enable_totp": ("verify_software_token", lambda c: c.enable_totp(TOKEN, "123456")),
    "enable": ("admin_enable_user", lambda c: c.set_enabled("a@example.com", True)),
    "disable": ("admin_disable_user", lambda c: c.set_enabled("a@example.com", False)),
    "confirm_at_once": ("admin_confirm_sign_up", lambda c: c.confirm_at_once("a@example.com")),
}


@pytest.mark.parametrize(
    ("call", "code", "http", "status"),
    [
        # a code the adapter has no entry for: the operation's own refusal, not 503
        ("refresh", "SomeFutureException", 400, 401),
        ("log_in", "UnsupportedOperationException", 400, 401),
        ("answer_mfa", "SomeFutureException", 400, 401),
        ("confirm", "SomeFutureException", 400, 401),
        ("sign_up", "SomeFutureException", 400, 422),
        ("start_totp", "SomeFutureException", 400, 401),
        # Cognito's documented refusals
        ("refresh", "NotAuthorizedException", 400, 401),
        ("refresh", "UserNotFoundException", 400, 401),
        ("refresh", "InvalidParameterException", 400, 401),
        ("answer_mfa", "NotAuthorizedException", 400, 401),
        ("answer_mfa", "ExpiredCodeException", 400, 401),
        ("confirm", "UserNotFoundException", 400, 401),
        ("confirm", "NotAuthorizedException", 400, 409),
        ("confirm", "AliasExistsException", 400, 409),
        ("enable_totp", "SoftwareTokenMFANotFoundException", 400, 409),
        ("start_totp", "NotAuthorizedException", 400, 401),
        ("sign_up", "PasswordHistoryPolicyViolationException", 400, 422),
        ("log_in", "ForbiddenException", 403, 403),
        ("log_in", "TooManyRequestsException", 400, 429),
        ("enable", "UserNotFoundException", 400, 404),
        # the provider itself, or its configuration: 503
        ("refresh", "InternalErrorException", 500, 503),
        ("refresh", "SomethingBroke", 502, 503),
        ("refresh", "InvalidUserPoolConfigurationException", 400, 503),
        ("log_in", "ResourceNotFoundException", 400, 503),
        ("sign_up", "CodeDeliveryFailureException", 400, 503),
        ("confirm_at_once", "AccessDeniedException", 400, 503),
        ("confirm_at_once", "SomeFutureException", 400, 503),
    ],
)
def test_each_answer_is_the_right_status(stub: Stubber, call: str, code: str, http: int, status: int) -> None:
    method, invoke = CALLS[call]
    stub.add_client_error(method, service_error_code=code, service_message="m", http_status_code=http)
    with pytest.raises(NijaError) as raised:
        invoke(CognitoIdentity())
    assert status_of(raised.value) == status, (call, code, raised.value)


def test_disabling_a_user_with_no_directory_entry_is_done(stub: Stubber) -> None:
    """Nobody can sign in as them already; the admin's disable stands (it answered 401 before)."""
    stub.add_client_error(
        "admin_disable_user", service_error_code="UserNotFoundException", http_status_code=400
    )
    CALLS["disable"][1](CognitoIdentity())
