"""Per-address request limits, counted as AWS WAF's rate-based rules count them: pure arithmetic.

A rule counts one source address's requests in the last `window_s` seconds and refuses a request
when `limit` of them came before it in that window. Refused requests are counted too, as WAF counts
every request that matches the rule: an address that keeps flooding stays refused until it slows
down, and is admitted again `window_s` seconds after its `limit`-th newest request at the latest.
A window keeps only the times of its newest `limit` requests, so its size is bounded by the limit.

WAF takes only these windows (60, 120, 300, 600 s) and no limit under 10: the numbers that the
catalogue holds per stage are checked here, so that the local stack never runs a rule WAF refuses.
Times are seconds on one clock (the local stack's monotonic clock; nothing is shared between
machines).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

WINDOWS_S = (60, 120, 300, 600)
MIN_LIMIT = 10


@dataclass(frozen=True, slots=True)
class IpLimit:
    """At most `limit` requests from one address in any `window_s` seconds."""

    limit: int
    window_s: int = 300

    def __post_init__(self) -> None:
        if self.window_s not in WINDOWS_S:
            raise ValueError(f"an evaluation window is one of {WINDOWS_S} seconds, not {self.window_s}")
        if self.limit < MIN_LIMIT:
            raise ValueError(f"a per-address limit is at least {MIN_LIMIT} requests, not {self.limit}")

    @classmethod
    def parse(cls, spec: str) -> IpLimit:
        """`"100/300"`: 100 requests in 300 s; `"100"` keeps the default window."""
        count, slash, window = spec.strip().partition("/")
        try:
            return cls(int(count), int(window.removesuffix("s"))) if slash else cls(int(count))
        except ValueError as exc:
            raise ValueError(f"a per-address limit is REQUESTS[/SECONDS], e.g. 100/300: {exc}") from None

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_s}"


@dataclass(frozen=True, slots=True)
class IpRule:
    """A limit on the requests of each address to some paths (`paths` None: to every path)."""

    name: str  # what the 429 and the WAF rule are called: sign-in, all
    limit: IpLimit
    paths: frozenset[str] | None = None
    what: str = "requests"  # how the refusal names the counted requests

    def applies(self, path: str) -> bool:
        return self.paths is None or (path.rstrip("/") or "/") in self.paths

    @property
    def message(self) -> str:
        """The refusal's message, the same on AWS (WAF's custom response) and in the local stack."""
        return f"more than {self.limit.limit} {self.what} from this address in {self.limit.window_s} s"


@dataclass(frozen=True, slots=True)
class IpDecision:
    allowed: bool
    retry_after: int = 0  # whole seconds until this address would be admitted; 0 when admitted


@dataclass(slots=True)
class SourceWindow:
    """One address's newest requests under one rule (times, oldest first): at most `limit` of them."""

    stamps: deque[float] = field(default_factory=deque)

    def hit(self, limit: IpLimit, now: float) -> IpDecision:
        """Count a request at `now` and say whether it is admitted."""
        stamps = self.stamps
        full = len(stamps) >= limit.limit and stamps[0] > now - limit.window_s
        stamps.append(now)
        while len(stamps) > limit.limit:
            stamps.popleft()
        if not full:
            return IpDecision(True)
        # Admitted again once the limit-th newest request (this one counted) has left the window.
        return IpDecision(False, max(1, math.ceil(stamps[0] + limit.window_s - now)))

    def idle(self, limit: IpLimit, now: float) -> bool:
        """Nothing of it is in the window any more: the same as no window at all."""
        return not self.stamps or self.stamps[-1] <= now - limit.window_s
