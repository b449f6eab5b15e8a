"""Per-user request limits for the local stack (API Gateway usage plans enforce them in the cloud).

A sliding-window log: a user is admitted when fewer than N of their admitted requests fall in the
last 60 s, N from their tier. Each user keeps a deque of at most N timestamps; every request pushes at
most one and pops what has left the window, so a call is O(1) amortized. Users idle for a whole window
are evicted (least recently seen first), and at most `max_users` are tracked, so memory stays bounded.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nija.api.errors import error_response
from nija.domain.models import TIER_REQUESTS_PER_MINUTE, Tier

WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0  # whole seconds until a request would be admitted; 0 when admitted

    def headers(self) -> dict[str, str]:
        out = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            out["Retry-After"] = str(self.retry_after)
        return out


class SlidingWindowLimiter:
    """At most `limits[tier]` admitted requests per user in any rolling `window_s`. Thread-safe."""

    def __init__(
        self,
        limits: Mapping[Tier, int] = TIER_REQUESTS_PER_MINUTE,
        *,
        window_s: float = WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
        max_users: int = 100_000,
    ) -> None:
        self.limits = dict(limits)
        self.window_s = window_s
        self.clock = clock
        self.max_users = max_users
        self._lock = threading.Lock()
        # Least recently seen first: eviction looks only at the front.
        self._users: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._users)

    def acquire(self, user_id: str, tier: Tier) -> Decision:
        """Admit and record one request, or refuse it (a refused request is not recorded)."""
        limit = self.limits[tier]
        with self._lock:
            now = self.clock()
            horizon = now - self.window_s
            self._evict(horizon)
            stamps = self._users.get(user_id)
            if stamps is None:
                if len(self._users) >= self.max_users:
                    self._users.popitem(last=False)
                stamps = self._users[user_id] = deque()
            else:
                self._users.move_to_end(user_id)
            while stamps and stamps[0] <= horizon:
                stamps.popleft()
            while len(stamps) > limit:  # the tier went down since the last call
                stamps.popleft()
            if len(stamps) < limit:
                stamps.append(now)
                return Decision(True, limit, limit - len(stamps))
            wait = stamps[0] + self.window_s - now
            return Decision(False, limit, 0, max(1, math.ceil(wait)))

    def _evict(self, horizon: float) -> None:
        users = self._users
        while users:
            stamps = next(iter(users.values()))
            if stamps and stamps[-1] > horizon:
                return
            users.popitem(last=False)


def _authorizer(scope: Scope) -> Mapping[str, str] | None:
    event = scope.get("aws.event") or {}
    context = (event.get("requestContext") or {}).get("authorizer")
    return context if context and context.get("user_id") else None


class RateLimitMiddleware:
    """Pure ASGI: limits callers the authorizer context names (set by the auth middleware running
    before this one); requests without that context (public routes) pass untouched."""

    def __init__(self, app: ASGIApp, limiter: SlidingWindowLimiter) -> None:
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
        decision = self.limiter.acquire(str(context["user_id"]), tier)
        headers = decision.headers()
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
