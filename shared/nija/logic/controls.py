"""Kill switches (engaged by a user for themselves, by admins globally or per broker) and the
per-broker circuit breaker the executor consults around every broker call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import CircuitOpen
from nija.domain.models import utcnow
from nija.domain.risk import TradingMode, strictest
from nija.domain.switches import Breaker, KillSwitch, SwitchScope
from nija.ports.controls import ControlStore
from nija.ports.stores import UserStore

BREAKER_THRESHOLD = 5  # consecutive temporary failures that open a broker's breaker
BREAKER_COOLDOWN = timedelta(seconds=30)
RACE_RETRIES = 5


@dataclass
class Controls:
    store: ControlStore
    clock: Callable[[], datetime] = field(default=utcnow)
    threshold: int = BREAKER_THRESHOLD
    cooldown: timedelta = BREAKER_COOLDOWN

    # --- kill switches -----------------------------------------------------------------------

    def set_switch(
        self,
        actor: str,
        scope: SwitchScope,
        target: str,
        engaged: bool,
        mode: TradingMode = TradingMode.HALTED,
        reason: str = "",
    ) -> KillSwitch | None:
        subject = target if scope is SwitchScope.USER else f"platform:{scope.value}:{target}"
        event = AuditEvent(
            action="controls.kill_switch",
            outcome=Outcome.SUCCESS,
            subject=subject,
            actor=actor,
            details={
                "scope": scope.value,
                "target": target,
                "engaged": str(engaged).lower(),
                "mode": mode.value if engaged else "active",
            },
        )
        # The switch and its audit event in one write: the event reaches its chain through the outbox.
        if engaged:
            switch = KillSwitch(
                scope=scope,
                target=target,
                mode=mode.value,
                engaged_by=actor,
                reason=reason,
                engaged_at=self.clock(),
            )
            self.store.engage(switch, audit=event)
        else:
            switch = None
            self.store.release(scope, target, audit=event)
        return switch

    def mode_for(self, user_id: str, broker: str) -> TradingMode:
        """The strictest switch that applies to this user's orders at this broker, read now."""
        return strictest(
            TradingMode.ACTIVE, *(TradingMode(s.mode) for s in self.store.switches_for(user_id, broker))
        )

    # --- circuit breaker ---------------------------------------------------------------------

    def before_call(self, broker: str, seen: Breaker | None = None) -> Breaker:
        """Raise CircuitOpen while the breaker is open (the message goes back to the queue).
        `seen` is the breaker as just read (the executor's pre-trade read), saving a read. Returns the
        breaker as it stands for this call."""
        for _ in range(RACE_RETRIES):
            current = seen if seen is not None else self.store.breaker(broker)
            seen = None
            allowed, updated = current.allows(self.clock(), self.cooldown)
            if not allowed:
                raise CircuitOpen(f"{broker} is failing; calls are paused (circuit open)")
            if updated is current or self.store.put_breaker(updated):
                return updated
        raise CircuitOpen(f"{broker}'s circuit breaker is busy")

    def after_call(self, broker: str, ok: bool, seen: Breaker | None = None) -> Breaker:
        """Record a call's outcome: ok, or a temporary failure (a refusal like insufficient funds is
        the broker working, and counts as ok). A success when the breaker was clean just before the
        call (`seen`) changes nothing, and is not read again."""
        if ok and seen is not None and seen.after(ok, self.clock(), self.threshold) is seen:
            return seen
        for _ in range(RACE_RETRIES):
            current = self.store.breaker(broker)
            updated = current.after(ok, self.clock(), self.threshold)
            if updated is current or self.store.put_breaker(updated):
                return updated
        return current


@dataclass(frozen=True)
class OwnSwitch:
    """A user's own kill switch (POST /v1/kill-switch)."""

    controls: Controls
    users: UserStore

    def set(self, user_id: str, engaged: bool, mode: TradingMode) -> KillSwitch | None:
        """Engage or release it. Releasing it also re-enables trading the platform stopped after
        repeated broker errors (the user has seen the reason on GET /v1/me), audited as such."""
        switch = self.controls.set_switch(user_id, SwitchScope.USER, user_id, engaged, mode)
        if not engaged:
            user = self.users.get_user(user_id)
            if user is not None and (user.trading_disabled_reason or user.consecutive_broker_errors):
                resumed = AuditEvent(
                    action="controls.trading_resumed",
                    outcome=Outcome.SUCCESS,
                    subject=user_id,
                    actor=user_id,
                    details={"was": str(user.trading_disabled_reason or "")},
                )
                self.users.update_user(
                    user_id, audit=resumed, trading_disabled_reason=None, consecutive_broker_errors=0
                )
        return switch
