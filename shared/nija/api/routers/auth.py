from __future__ import annotations

from fastapi import APIRouter

from nija.adapters import cognito
from nija.api.schemas import LoginIn, TokensOut

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokensOut, response_model_exclude_none=True)
def login(body: LoginIn) -> TokensOut:
    """Sign in with email and password (Cognito USER_PASSWORD_AUTH)."""
    return TokensOut(**cognito.login(body.email, body.password))
