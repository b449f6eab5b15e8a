"""Account lockout: after 5 failed sign-ins within 15 minutes, the account is refused for 15 minutes."""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict

MAX_FAILURES = 5
WINDOW_S = 15 * 60
LOCK_S = 15 * 60


class LoginGuard(BaseModel):
    """Recent failures of one sign-in name (times in epoch seconds)."""

    model_config = ConfigDict(frozen=True)

    failures: tuple[float, ...] = ()
    locked_until: float = 0.0
    version: int = 0

    def retry_after(self, now: float) -> int | None:
        """Seconds until sign-in is allowed again, or None when it is allowed now."""
        if self.locked_until > now:
            return max(1, math.ceil(self.locked_until - now))
        return None

    def after_failure(self, now: float) -> LoginGuard:
        recent = (*(t for t in self.failures if now - t < WINDOW_S), now)
        if len(recent) >= MAX_FAILURES:
            return LoginGuard(failures=(), locked_until=now + LOCK_S, version=self.version + 1)
        return LoginGuard(failures=recent, locked_until=self.locked_until, version=self.version + 1)

    def after_success(self) -> LoginGuard:
        return LoginGuard(failures=(), locked_until=0.0, version=self.version + 1)
