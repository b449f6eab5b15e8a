"""Sign-up, sign-in, refresh and TOTP, backed by Cognito (moto's user pool in the local stack)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from nija import wiring
from nija.api.auth import bearer_token, current_principal
from nija.api.refresh_cookie import set_refresh_cookie, token_from_cookie
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
from nija.domain.errors import InvalidInput
from nija.domain.models import Principal
from nija.logic.accounts import Accounts
from nija.ports.identity import Challenge, Tokens

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


def delivered(result: Tokens | Challenge, as_cookie: bool, request: Request, response: Response) -> TokensOut:
    """The tokens as the client asked: all in the body, or the refresh token as a cookie."""
    if as_cookie and isinstance(result, Tokens) and result.refresh_token:
        set_refresh_cookie(request, response, result.refresh_token)
        result = result.model_copy(update={"refresh_token": None})
    return TokensOut.model_validate(result.model_dump())


@router.post("/login", response_model=TokensOut, response_model_exclude_none=True)
def login(body: LoginIn, request: Request, response: Response, accounts: AccountsDep) -> TokensOut:
    """Sign in with email and password. With TOTP on, answers a SOFTWARE_TOKEN_MFA challenge and a
    session for POST /v1/auth/mfa/verify. After 5 failures in 15 minutes: 429 for 15 minutes.
    `"refresh_cookie": true` (web clients): the refresh token comes as an HttpOnly cookie for the
    refresh and logout routes, not in the body."""
    result = accounts.log_in(body.email, body.password, client_ip(request))
    return delivered(result, body.refresh_cookie, request, response)


@router.post("/refresh", response_model=TokensOut, response_model_exclude_none=True)
def refresh(body: RefreshIn, request: Request, response: Response, accounts: AccountsDep) -> TokensOut:
    """New access and ID tokens for the body's refresh_token, or (none in the body) for the refresh
    cookie: then the Origin header must be one of the API's web origins, else 403 origin_refused."""
    cookie = None if body.refresh_token else token_from_cookie(request)
    refresh_token = body.refresh_token or cookie
    if not refresh_token:
        raise InvalidInput("give refresh_token, or send the refresh cookie", field="refresh_token")
    tokens = accounts.refresh(refresh_token)
    if body.refresh_cookie and cookie is None and tokens.refresh_token is None:
        tokens = tokens.model_copy(update={"refresh_token": refresh_token})  # the body's, into the cookie
    return delivered(tokens, body.refresh_cookie or cookie is not None, request, response)


@router.post("/mfa/verify", response_model=TokensOut, response_model_exclude_none=True)
def mfa_verify(body: MfaVerifyIn, request: Request, response: Response, accounts: AccountsDep) -> TokensOut:
    tokens = accounts.answer_mfa(body.email, body.session, body.code, client_ip(request))
    return delivered(tokens, body.refresh_cookie, request, response)


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
