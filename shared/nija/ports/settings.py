"""Where a user's strategy and risk settings are kept (the DynamoDB adapters implement these)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from nija.domain.audit import AuditEvent
from nija.domain.risk import RiskSettings
from nija.domain.settings import StrategySettings


class StrategySettingsStore(Protocol):
    def get(self, user_id: str) -> StrategySettings:
        """The user's settings; the defaults (disabled) when they never saved any."""
        ...

    def put(
        self,
        user_id: str,
        settings: StrategySettings,
        risk: RiskSettings | None = None,
        audit: AuditEvent | None = None,
    ) -> None:
        """Replace the settings; with `risk`, the risk settings too, and with `audit` its record, in
        one atomic write."""
        ...

    def enabled_in_shard(self, shard: int) -> Iterator[tuple[str, StrategySettings | None]]:
        """(user id, settings) of every enabled user in one scan shard (nija.domain.settings.scan_shard);
        None for settings stored valid that no longer validate (a symbol delisted since, say)."""
        ...


class RiskSettingsStore(Protocol):
    def settings(self, user_id: str) -> RiskSettings: ...

    def put_settings(self, user_id: str, settings: RiskSettings) -> None: ...
