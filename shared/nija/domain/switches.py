"""Kill switches and the per-broker circuit breaker: states shared by every executor instance."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import Field

from nija.domain.models import Frozen, utcnow


class SwitchScope(StrEnum):
    GLOBAL = "global"
    BROKER = "broker"
    USER = "user"


class KillSwitch(Frozen):
    """An engaged switch: halted (no new orders) or reducing (only orders that reduce exposure)."""

    scope: SwitchScope
    target: str  # "global", a broker name, or a user id
    mode: str  # a TradingMode value: "halted" or "reducing"
    engaged_by: str
    reason: str = ""
    engaged_at: datetime = Field(default_factory=utcnow)


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class Breaker(Frozen):
    """Opens after `threshold` consecutive temporary failures; after `cooldown` one probe is let
    through (half open): its success closes the breaker, its failure opens it again."""

    broker: str
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    opened_at: datetime | None = None
    probe_until: datetime | None = None  # a probe's lease: no second probe while it runs
    version: int = 0

    def allows(self, now: datetime, cooldown: timedelta) -> tuple[bool, Breaker]:
        """Whether a call may go to the broker now, and the state to store if it changed."""
        if self.state is BreakerState.CLOSED:
            return True, self
        if self.probe_until and now < self.probe_until:
            return False, self  # a probe is out
        if self.opened_at and now - self.opened_at < cooldown:
            return False, self
        probe = self.model_copy(
            update={
                "state": BreakerState.HALF_OPEN,
                "probe_until": now + cooldown,
                "version": self.version + 1,
            }
        )
        return True, probe

    def after(self, ok: bool, now: datetime, threshold: int) -> Breaker:
        if ok:
            if self.state is BreakerState.CLOSED and self.failures == 0:
                return self
            return Breaker(broker=self.broker, version=self.version + 1)
        failures = self.failures + 1
        opens = self.state is BreakerState.HALF_OPEN or failures >= threshold
        return self.model_copy(
            update={
                "failures": failures,
                "state": BreakerState.OPEN if opens else self.state,
                "opened_at": now if opens else self.opened_at,
                "probe_until": None,
                "version": self.version + 1,
            }
        )
