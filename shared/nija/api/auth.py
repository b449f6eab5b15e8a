"""Who is calling. On AWS, API Gateway's authorizer puts {user_id, tier, role} in the request context;
locally, nija.api.verify checks the Cognito token with the same code and sets the same context.

This module must stay light: the API function imports it on every cold start, and with the gateway
doing the verification it never needs the JWT and crypto libraries.
"""

from __future__ import annotations

from fastapi import Request

from nija.domain.errors import Unauthenticated
from nija.domain.models import Principal, Role, Tier


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise Unauthenticated("an Authorization: Bearer token is required")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("an Authorization: Bearer token is required")
    return token.strip()


def authorizer_context(principal: Principal) -> dict[str, str]:
    """The context API Gateway passes on; strings only, as the authorizer contract requires."""
    context = {"user_id": principal.user_id, "tier": principal.tier.value, "role": principal.role.value}
    if principal.mfa is not None:
        context["mfa"] = "true" if principal.mfa else "false"
    return context


def current_principal(request: Request) -> Principal:
    """The FastAPI dependency every user route takes: the principal from the authorizer context."""
    event = request.scope.get("aws.event") or {}
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    user_id = context.get("user_id")
    if not user_id:
        raise Unauthenticated("an Authorization: Bearer token is required")
    try:
        return Principal(
            user_id=user_id,
            tier=Tier(context.get("tier", "basic")),
            role=Role(context.get("role", "user")),
            mfa=None if "mfa" not in context else str(context["mfa"]) == "true",
        )
    except ValueError:
        raise Unauthenticated("the authorizer context is malformed") from None
