"""Kill switches and circuit breakers, shared across every executor instance."""

from __future__ import annotations

from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.switches import Breaker, KillSwitch, SwitchScope


class ControlStore(Protocol):
    def engage(self, switch: KillSwitch, audit: AuditEvent | None = None) -> None:
        """Store the switch, and with `audit` its event, atomically (nija.domain.audit_outbox)."""
        ...

    def release(self, scope: SwitchScope, target: str, audit: AuditEvent | None = None) -> None: ...

    def switch(self, scope: SwitchScope, target: str) -> KillSwitch | None: ...

    def switches_for(self, user_id: str, broker: str) -> list[KillSwitch]: ...

    def platform_switches(self) -> list[KillSwitch]: ...

    def breaker(self, broker: str) -> Breaker: ...

    def put_breaker(self, breaker: Breaker) -> bool: ...

    def breakers(self) -> list[Breaker]: ...
