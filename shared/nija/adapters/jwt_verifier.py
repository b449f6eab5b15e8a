"""Cognito access-token verification (PyJWT against the pool's JWKS): the authorizer Lambda, the
local stack's token check and the realtime handler's $connect."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt

from nija.config import get_settings, on_reset
from nija.domain.errors import Unauthenticated


class TokenVerifier:
    """Verifies Cognito access tokens: RS256 signature against the pool's JWKS (cached), expiry,
    issuer, token use and app client id."""

    def __init__(self, *, issuer: str, client_id: str, jwks_url: str, leeway_s: int = 5) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.leeway_s = leeway_s
        self._jwks = jwt.PyJWKClient(jwks_url, cache_jwk_set=True, lifespan=3600, timeout=5)

    def verify(self, token: str) -> dict[str, Any]:
        try:
            key = self._jwks.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": ["exp", "iat", "iss", "sub", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthenticated("the token has expired") from None
        except (jwt.PyJWKClientError, jwt.InvalidTokenError):
            raise Unauthenticated("the token is not valid") from None
        if claims.get("token_use") != "access":
            raise Unauthenticated("an access token is required")
        if claims.get("client_id") != self.client_id:
            raise Unauthenticated("the token was issued to another client")
        return claims


@cache
def token_verifier() -> TokenVerifier:
    settings = get_settings()
    if not settings.user_pool_id or not settings.user_pool_client_id:
        raise Unauthenticated("token verification is not configured")
    return TokenVerifier(
        issuer=settings.issuer, client_id=settings.user_pool_client_id, jwks_url=settings.jwks
    )


on_reset(token_verifier.cache_clear)


def verify_token(token: str) -> dict[str, Any]:
    """The claims of a valid access token; Unauthenticated otherwise."""
    return token_verifier().verify(token)
