"""Per-user request limits, held by every API app itself: in Lambda behind API Gateway and in the
local stack alike, with the same limiter (nija.ports.ratelimit; the state table's, shared by every
instance of every API function).

Not in the authorizer: API Gateway caches its answer per token, so the requests answered from that
cache would never be counted. Not in API Gateway usage plans: they need an API key per user, and an
account has at most 10,000 of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nija.api.errors import error_response, status_of
from nija.domain.errors import ServiceUnavailable
from nija.domain.models import Tier
from nija.domain.ratelimit import Decision
from nija.ports.ratelimit import RequestLimiter


def limit_headers(decision: Decision) -> dict[str, str]:
    out = {"X-RateLimit-Limit": str(decision.limit), "X-RateLimit-Remaining": str(decision.remaining)}
    if not decision.allowed:
        out["Retry-After"] = str(decision.retry_after)
    return out


def _authorizer(scope: Scope) -> Mapping[str, str] | None:
    event = scope.get("aws.event") or {}
    context = (event.get("requestContext") or {}).get("authorizer")
    return context if context and context.get("user_id") else None


class RateLimitMiddleware:
    """Pure ASGI: limits callers the authorizer context names (API Gateway's, or the local stack's
    token check running before this one); requests without that context (public routes) pass.
    `limiter` gives the limiter of the current settings (nija.wiring's), asked for on each request:
    an app is built at import, before any AWS resource is bound."""

    def __init__(self, app: ASGIApp, limiter: Callable[[], RequestLimiter]) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = _authorizer(scope) if scope["type"] == "http" else None
        if context is None:
            await self.app(scope, receive, send)
            return
        try:
            tier = Tier(context.get("tier", Tier.BASIC))
        except ValueError:
            tier = Tier.BASIC  # the strictest limit for a context we do not understand
        try:
            decision = await run_in_threadpool(self.limiter().acquire, str(context["user_id"]), tier)
        except ServiceUnavailable as exc:
            await error_response(status_of(exc), exc.code, exc.message)(scope, receive, send)
            return
        headers = limit_headers(decision)
        if not decision.allowed:
            message = f"more than {decision.limit} requests a minute; retry in {decision.retry_after} s"
            response = error_response(429, "rate_limited", message, headers=headers)
            await response(scope, receive, send)
            return
        raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *raw]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
