"""Per-user request limits of the API, as pure arithmetic: a sliding-window log.

A user is admitted when fewer than `count` of their admitted requests fall in the last `window_ms`;
the request is then recorded. A refused request is not recorded, so hammering does not extend a
block. A window holds only the times still inside it, oldest first, so it never holds more than the
tier's count: at most N in any rolling window, N a window sustained, and a burst of up to N at once.

Times are whole milliseconds since the epoch: a request is recorded at its time rounded up, and the
window is judged at the current time rounded down, so a slot never frees early. Windows are shared between machines: a
clock behind the window's newest time counts from that newest time instead, so the log stays in
order, spans less than one window, and no slot frees early for the machine that is behind.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WINDOW_S = 60


def to_ms(seconds: float) -> int:
    """Rounded up (the rounding to 6 places drops float noise, never a millisecond)."""
    return math.ceil(round(seconds * 1000, 6))


def floor_ms(seconds: float) -> int:
    return math.floor(round(seconds * 1000, 6))


@dataclass(frozen=True, slots=True)
class RequestLimit:
    count: int  # requests admitted at most in any window
    window_s: int = WINDOW_S

    @property
    def window_ms(self) -> int:
        return self.window_s * 1000


@dataclass(frozen=True, slots=True)
class Window:
    """A user's admitted requests still in the window (ms, oldest first): all of its state, so two
    equal windows are the same window (what a conditional write compares)."""

    stamps: tuple[int, ...] = ()

    def expires_at_ms(self, limit: RequestLimit) -> int:
        """When every request in it has left the window: from then on it is the same as no window."""
        return (self.stamps[-1] if self.stamps else 0) + limit.window_ms


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int = 0  # whole seconds until a request would be admitted; 0 when admitted


def admit(window: Window | None, limit: RequestLimit, now: float) -> tuple[Decision, Window | None]:
    """Admit a request at `now` (seconds since the epoch) or refuse it; the window to store when
    admitted (None: refused, nothing to store)."""
    stamps = window.stamps if window is not None else ()
    now_ms, at_ms = floor_ms(now), to_ms(now)
    if stamps:
        now_ms, at_ms = max(now_ms, stamps[-1]), max(at_ms, stamps[-1])
    horizon = now_ms - limit.window_ms
    inside = [t for t in stamps if t > horizon]
    del inside[: max(0, len(inside) - limit.count)]  # the tier went down since: the newest count
    if len(inside) >= limit.count:
        wait_ms = inside[0] + limit.window_ms - now_ms
        return Decision(False, limit.count, 0, max(1, math.ceil(wait_ms / 1000))), None
    inside.append(at_ms)
    return Decision(True, limit.count, limit.count - len(inside)), Window(tuple(inside))
