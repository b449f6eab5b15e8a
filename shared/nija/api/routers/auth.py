"""Sign-up, sign-in, refresh and TOTP, backed by Cognito (moto's user pool in the local stack)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request

from nija import wiring
from nija.api.auth import bearer_token, current_principal
from nija.api.schemas import (
    ConfirmIn,
    LoginIn,
    MeOut,
    MfaEnableIn,
    MfaSetupOut,
    MfaVerifyIn,
    RefreshIn,
    SignupIn,
    SignupOut,
    TokensOut,
)
from nija.api.standing import Acting
from nija.domain.models import Principal
from nija.logic.accounts import Accounts

router = APIRouter(prefix="/v1/auth", tags=["auth"])
AccountsDep = Annotated[Accounts, Depends(wiring.accounts)]
Caller = Annotated[Principal, Depends(current_principal)]


def client_ip(request: Request) -> str | None:
    event = request.scope.get("aws.event") or {}
    identity = (event.get("requestContext") or {}).get("identity") or {}
    return identity.get("sourceIp") or (request.client.host if request.client else None)


@router.post("/signup", status_code=201, response_model=SignupOut)
def signup(body: SignupIn, request: Request, accounts: AccountsDep) -> SignupOut:
    """Create an account. The password needs 12+ characters with upper and lower case, a digit and a
    symbol. On AWS a code is emailed (POST /v1/auth/confirm); the local stack confirms at once."""
    user = accounts.sign_up(body.email, body.password, client_ip(request))
    return SignupOut(user_id=user.user_id, confirmed=accounts.auto_confirm)


@router.post("/confirm", status_code=204)
def confirm(body: ConfirmIn, request: Request, accounts: AccountsDep) -> None:
    accounts.confirm(body.email, body.code, client_ip(request))


@router.post("/login", response_model=TokensOut, response_model_exclude_none=True)
def login(body: LoginIn, request: Request, accounts: AccountsDep) -> TokensOut:
    """Sign in with email and password. With TOTP on, answers a SOFTWARE_TOKEN_MFA challenge and a
    session for POST /v1/auth/mfa/verify. After 5 failures in 15 minutes: 429 for 15 minutes."""
    result = accounts.log_in(body.email, body.password, client_ip(request))
    return TokensOut.model_validate(result.model_dump())


@router.post("/refresh", response_model=TokensOut, response_model_exclude_none=True)
def refresh(body: RefreshIn, accounts: AccountsDep) -> TokensOut:
    return TokensOut.model_validate(accounts.refresh(body.refresh_token).model_dump())


@router.post("/mfa/verify", response_model=TokensOut, response_model_exclude_none=True)
def mfa_verify(body: MfaVerifyIn, request: Request, accounts: AccountsDep) -> TokensOut:
    tokens = accounts.answer_mfa(body.email, body.session, body.code, client_ip(request))
    return TokensOut.model_validate(tokens.model_dump())


@router.post("/mfa/setup", response_model=MfaSetupOut)
def mfa_setup(
    caller: Acting, accounts: AccountsDep, authorization: Annotated[str | None, Header()] = None
) -> MfaSetupOut:
    """Start TOTP enrolment: add the secret (or the otpauth URI as a QR code) to an authenticator."""
    return MfaSetupOut(**accounts.start_totp(caller.user_id, bearer_token(authorization)))


@router.post("/mfa/enable", response_model=MeOut)
def mfa_enable(
    body: MfaEnableIn,
    caller: Acting,
    accounts: AccountsDep,
    authorization: Annotated[str | None, Header()] = None,
) -> MeOut:
    """Finish TOTP enrolment with a current code; sign-ins then ask for a code."""
    user = accounts.enable_totp(caller.user_id, bearer_token(authorization), body.code)
    return MeOut.of(user)
