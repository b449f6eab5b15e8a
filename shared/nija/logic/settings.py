"""A user's settings as GET and PUT /v1/settings show and take them: strategy and risk together.

PUT replaces both whole (fields left out take their defaults, the values GET shows a new user).
Every broker the strategy names must be connected (keys stored in the vault) when it is saved.
Every save is audited with the fields it changed, old and new values (settings are not secret)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import InvalidInput
from nija.domain.models import BrokerName, Frozen
from nija.domain.risk import UserRiskSettings
from nija.domain.settings import StrategySettings
from nija.ports.audit import AuditLog
from nija.ports.settings import RiskSettingsStore, StrategySettingsStore

AUDIT_ACTION = "settings.update"
MAX_AUDIT_VALUE = 512  # characters of one old -> new entry in an audit event


class UserSettings(Frozen):
    strategy: StrategySettings = Field(default_factory=StrategySettings)
    risk: UserRiskSettings = Field(default_factory=UserRiskSettings)


def changes(old: UserSettings, new: UserSettings) -> dict[str, tuple[Any, Any]]:
    """Dotted path -> (old, new) of every leaf value that differs, as JSON-ready values."""
    found: dict[str, tuple[Any, Any]] = {}

    def walk(path: str, a: Any, b: Any) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for key in a.keys() | b.keys():
                walk(f"{path}.{key}" if path else key, a.get(key), b.get(key))
        elif a != b:
            found[path] = (a, b)

    walk("", old.model_dump(mode="json"), new.model_dump(mode="json"))
    return dict(sorted(found.items()))


def _show(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class SettingsService:
    strategies: StrategySettingsStore
    risks: RiskSettingsStore
    connected: Callable[[str, BrokerName], bool]
    audit: AuditLog

    def get(self, user_id: str) -> UserSettings:
        risk = self.risks.settings(user_id)
        return UserSettings(
            strategy=self.strategies.get(user_id),
            risk=UserRiskSettings.model_validate(risk.model_dump(include=set(UserRiskSettings.model_fields))),
        )

    def put(
        self,
        user_id: str,
        new: UserSettings,
        source_ip: str | None = None,
        actor: str | None = None,
        old: UserSettings | None = None,
    ) -> UserSettings:
        """Check the brokers, then store what changed with its audit record, in one write. `actor`:
        who saves them when it is not the user (an operator's import); `old`: the settings as the
        caller has just read them (no second read)."""
        missing = [b.value for b in new.strategy.brokers if not self.connected(user_id, b)]
        if missing:
            self._record(
                user_id,
                Outcome.REFUSED,
                source_ip,
                actor,
                reason="broker_not_connected",
                brokers=",".join(missing),
            )
            raise InvalidInput(
                f"not connected: {', '.join(missing)}; connect with PUT /v1/brokers/{missing[0]}/credentials",
                field="strategy.brokers",
                code="broker_not_connected",
            )
        old = old if old is not None else self.get(user_id)
        diff = changes(old, new)
        shown = {path: f"{_show(a)} -> {_show(b)}"[:MAX_AUDIT_VALUE] for path, (a, b) in diff.items()}
        if not diff:
            self._record(user_id, Outcome.SUCCESS, source_ip, actor, changed="none")
            return new
        risk = None
        if any(path.startswith("risk.") for path in diff):
            risk = self.risks.settings(user_id).model_copy(update=new.risk.model_dump())
        # Strategy, risk and the save's record in one write: a save lands whole or not at all.
        event = self._event(user_id, Outcome.SUCCESS, source_ip, actor, changed=",".join(diff), **shown)
        self.strategies.put(user_id, new.strategy, risk=risk, audit=event)
        return new

    def _record(
        self, user_id: str, outcome: Outcome, source_ip: str | None, actor: str | None, **details: str
    ) -> None:
        self.audit.record(self._event(user_id, outcome, source_ip, actor, **details))

    @staticmethod
    def _event(
        user_id: str, outcome: Outcome, source_ip: str | None, actor: str | None, **details: str
    ) -> AuditEvent:
        return AuditEvent(
            action=AUDIT_ACTION,
            outcome=outcome,
            subject=user_id,
            actor=actor or user_id,
            details=details,
            source_ip=source_ip,
        )
