"""Account recovery and sessions: reset codes, password change, sign-out, turning TOTP off."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response

from nija import wiring
from nija.api.auth import bearer_token
from nija.api.refresh_cookie import clear_refresh_cookie, token_from_cookie
from nija.api.routers.auth import client_ip
from nija.api.schemas import ChangePasswordIn, EmailIn, LogoutIn, MfaDisableIn, ResetIn
from nija.api.standing import Acting
from nija.domain.errors import InvalidInput
from nija.logic.recovery import Recovery

router = APIRouter(prefix="/v1/auth", tags=["auth"])
RecoveryDep = Annotated[Recovery, Depends(wiring.recovery)]
Authorization = Annotated[str | None, Header()]


@router.post("/password/forgot", status_code=202)
def forgot_password(body: EmailIn, request: Request, recovery: RecoveryDep) -> None:
    """Email a code for POST /v1/auth/password/reset. 202 whether or not the address has an account
    (the same answer, no sooner either way). At most 5 codes per address in 15 minutes, then 429."""
    recovery.forgot_password(body.email, client_ip(request))


@router.post("/password/reset", status_code=204)
def reset_password(body: ResetIn, request: Request, recovery: RecoveryDep) -> None:
    """Choose a new password with the emailed code. Every session of the account ends; sign in with
    the new password. A wrong code is 401 invalid_code; 5 of them in 15 minutes, then 429."""
    recovery.reset_password(body.email, body.code, body.new_password, client_ip(request))


@router.post("/password/change", status_code=204)
def change_password(
    body: ChangePasswordIn,
    request: Request,
    caller: Acting,
    recovery: RecoveryDep,
    authorization: Authorization = None,
) -> None:
    """Change the password. Every session of the user ends, this one included (Cognito's global
    sign-out spares none): the client signs in again with the new password. A wrong current password
    is 403 wrong_password and counts as a failed sign-in (5 in 15 minutes lock the account)."""
    recovery.change_password(
        caller.user_id,
        bearer_token(authorization),
        body.current_password,
        body.new_password,
        client_ip(request),
    )


@router.post("/confirm/resend", status_code=202)
def resend_confirmation(body: EmailIn, request: Request, recovery: RecoveryDep) -> None:
    """Email the sign-up code again. 202 whatever the address (unknown, confirmed or waiting)."""
    recovery.resend_confirmation(body.email, client_ip(request))


@router.post("/logout", status_code=204)
def logout(body: LogoutIn, request: Request, recovery: RecoveryDep) -> Response:
    """End the session of the body's refresh_token, or of the refresh cookie (then the Origin must be
    one of the API's web origins); `"everywhere": true` ends every session of its user. A refresh with
    that token is 401 afterwards. The refresh cookie is cleared."""
    token = body.refresh_token or token_from_cookie(request)
    if not token:
        raise InvalidInput("give refresh_token, or send the refresh cookie", field="refresh_token")
    recovery.log_out(token, body.everywhere, client_ip(request))
    response = Response(status_code=204)
    clear_refresh_cookie(request, response)
    return response


@router.delete("/mfa", status_code=204)
def mfa_disable(
    body: MfaDisableIn,
    request: Request,
    caller: Acting,
    recovery: RecoveryDep,
    authorization: Authorization = None,
) -> None:
    """Turn TOTP off with a current code from the authenticator."""
    recovery.disable_totp(caller.user_id, bearer_token(authorization), body.code, client_ip(request))
