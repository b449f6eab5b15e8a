"""Cognito access-token verification: the authorizer Lambda and the local stack's middleware."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from nija import wiring
from nija.adapters.jwt_verifier import token_verifier
from nija.api.auth import authorizer_context, bearer_token
from nija.api.errors import error_response, status_of
from nija.api.routes import is_public
from nija.api.verdicts import LOCAL_VERDICTS, VerdictCache
from nija.domain.errors import NijaError
from nija.domain.models import Principal
from nija.logic.identity import principal_from_claims
from nija.ports.stores import UserStore


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
        token = bearer_token(authorization)
        claims = token_verifier().verify(token)
        principal = principal_from_claims(claims, self.users, lambda: wiring.directory().totp_enabled(token))
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
