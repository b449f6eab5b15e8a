"""Cognito access-token verification: the authorizer Lambda and the local stack's middleware."""

from __future__ import annotations

from functools import cache
from typing import Any

import jwt
from starlette.types import ASGIApp, Receive, Scope, Send

from nija.api.auth import authorizer_context, bearer_token
from nija.api.errors import error_response, status_of
from nija.api.routes import is_public
from nija.api.verdicts import LOCAL_VERDICTS, VerdictCache
from nija.config import get_settings, on_reset
from nija.domain.errors import NijaError, Unauthenticated
from nija.domain.models import Principal
from nija.logic.identity import principal_from_claims
from nija.ports.stores import UserStore


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


class VerifyTokenMiddleware:
    """Local stand-in for the API Gateway authorizer, running the same verification code."""

    def __init__(self, app: ASGIApp, users: UserStore, verdicts: VerdictCache = LOCAL_VERDICTS) -> None:
        self.app = app
        self.users = users
        self.verdicts = verdicts

    def _principal(self, authorization: str | None) -> Principal:
        """Verify, or reuse a verdict younger than the TTL (like API Gateway's authorizer cache),
        never past the token's own expiry."""
        hit = self.verdicts.get(authorization or "")
        if hit is not None:
            return hit
        claims = token_verifier().verify(bearer_token(authorization))
        principal = principal_from_claims(claims, self.users)
        self.verdicts.put(authorization or "", principal, float(claims["exp"]))
        return principal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Public or not is the route table's call alone (OPTIONS included: API Gateway has no CORS
        # preflight methods here, and its ANY routes send OPTIONS through the authorizer).
        if scope["type"] != "http" or is_public(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            principal = self._principal(headers.get("authorization"))
        except NijaError as exc:
            response = error_response(status_of(exc), exc.code, exc.message)
            await response(scope, receive, send)
            return
        scope["aws.event"] = {"requestContext": {"authorizer": authorizer_context(principal)}}
        await self.app(scope, receive, send)
