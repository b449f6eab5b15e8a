"""The local stack's stand-in for AWS WAF's rate-based rules: the same per-address limits
(nija.ip_limits) on the same routes, in front of the token check as WAF is in front of API Gateway.

The address is the connection's peer (uvicorn runs without proxy headers, so a caller cannot name
another address in X-Forwarded-For), as WAF uses the request's source IP. The counts are this
process's memory: the local stack serves the API from one process. A refusal is a 429 in the API's
error shape with Retry-After: the seconds until this address is admitted again if it stops sending
(WAF's custom response can only name a fixed number: the rule's window, which bounds this one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

from nija import ip_limits
from nija.api.errors import error_response
from nija.config import get_settings
from nija.domain.ip_limits import IpDecision, IpRule, SourceWindow

SWEEP_EVERY = 4096  # requests between two sweeps of the addresses gone quiet


class IpLimiter:
    """Counts each address's requests under each rule; thread-safe."""

    def __init__(self, rules: Sequence[IpRule], clock: Callable[[], float] = time.monotonic) -> None:
        self.rules = tuple(rules)
        self.clock = clock
        self._windows: tuple[dict[str, SourceWindow], ...] = tuple({} for _ in self.rules)
        self._lock = threading.Lock()
        self._hits = 0

    def check(self, address: str, path: str) -> tuple[IpRule, IpDecision] | None:
        """Count a request; the rule that refuses it and why, or None when every rule admits it."""
        now = self.clock()
        with self._lock:
            self._hits += 1
            if self._hits % SWEEP_EVERY == 0:
                self._sweep(now)
            for rule, windows in zip(self.rules, self._windows, strict=True):
                if not rule.applies(path):
                    continue
                window = windows.get(address)
                if window is None:
                    window = windows[address] = SourceWindow()
                decision = window.hit(rule.limit, now)
                if not decision.allowed:
                    return rule, decision
        return None

    def _sweep(self, now: float) -> None:
        for rule, windows in zip(self.rules, self._windows, strict=True):
            for address in [a for a, w in windows.items() if w.idle(rule.limit, now)]:
                del windows[address]

    @property
    def addresses(self) -> int:
        """How many addresses it holds counts for (under any rule)."""
        with self._lock:
            return len(set().union(*self._windows))


def local_limiter() -> IpLimiter:
    """The stage's limits, or those NIJA_SIGN_IN_IP_LIMIT and NIJA_IP_LIMIT name."""
    settings = get_settings()
    return IpLimiter(
        ip_limits.rules(settings.catalogue, sign_in=settings.sign_in_ip_limit, everything=settings.ip_limit)
    )


class IpLimitMiddleware:
    """Pure ASGI: refuses a request over any per-address limit before anything else sees it."""

    def __init__(self, app: ASGIApp, limiter: IpLimiter) -> None:
        self.app = app
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # the WebSocket API has no WAF in the cloud either
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        refused = self.limiter.check(client[0] if client else "", scope["path"])
        if refused is None:
            await self.app(scope, receive, send)
            return
        rule, decision = refused
        headers = {"Retry-After": str(decision.retry_after)}
        await error_response(429, "rate_limited", rule.message, headers=headers)(scope, receive, send)
