"""Strategy settings in the state table, and the sparse index the strategy scan reads them from.

One item in the user's partition holds the settings as JSON (validated by nija.domain.settings). While
the strategy is enabled (it then has brokers and symbols) the item also carries gsi1 keys: its scan
shard's partition (keys.scan_pk) and the user id, so one query of gsi1 lists a shard's enabled users
with their settings (gsi1 projects ALL attributes: no follow-up read). A disabled item has no gsi1
keys and is absent from the index. Risk settings stay in their own item (nija.adapters.dynamo.risk)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import StrategySettingsItem
from nija.adapters.dynamo.risk import risk_item
from nija.adapters.dynamo.writes import Save, Write, write
from nija.domain.audit import AuditEvent
from nija.domain.risk import RiskSettings
from nija.domain.settings import StrategySettings, scan_shard
from nija.domain.standing import active


def in_scan(settings: StrategySettings) -> bool:
    """Whether the scan should see these settings (the domain already refuses enabled-but-empty)."""
    return settings.enabled and bool(settings.brokers) and bool(settings.symbols)


class DynamoStrategySettings:
    def __init__(self, page_size: int | None = None) -> None:
        """`page_size` bounds the items of one index query page (None: DynamoDB's 1 MB pages)."""
        bind()
        self.page_size = page_size

    def get(self, user_id: str) -> StrategySettings:
        """The user's settings; the defaults (disabled) when they never saved any."""
        try:
            item = StrategySettingsItem.get(keys.user_pk(user_id), keys.STRATEGY, consistent_read=True)
        except StrategySettingsItem.DoesNotExist:
            return StrategySettings()
        return StrategySettings.model_validate_json(item.settings)

    def put(
        self,
        user_id: str,
        settings: StrategySettings,
        risk: RiskSettings | None = None,
        audit: AuditEvent | None = None,
    ) -> None:
        """Replace the item whole: a disabled one is written without gsi1 keys, leaving the index.
        With `risk`, the user's risk settings are replaced in the same transaction, and with `audit`
        its record too (nija.domain.audit_outbox): a save lands whole or not at all."""
        indexed = in_scan(settings)
        item = StrategySettingsItem(
            keys.user_pk(user_id),
            keys.STRATEGY,
            settings=settings.model_dump_json(),
            gsi1pk=keys.scan_pk(scan_shard(user_id)) if indexed else None,
            gsi1sk=user_id if indexed else None,
        )
        writes: list[Write] = [Save(item)]
        if risk is not None:
            writes.append(Save(risk_item(user_id, risk)))
        write(writes, audit, account=active(user_id))

    def enabled_in_shard(self, shard: int) -> Iterator[tuple[str, StrategySettings | None]]:
        """Every enabled user of one shard with their settings, in user id order, over all pages;
        None for settings that no longer validate (one user's, not the shard's, to skip).
        The index is eventually consistent: a change made a moment ago may show at the next scan."""
        for item in StrategySettingsItem.scan_shard.query(keys.scan_pk(shard), page_size=self.page_size):
            try:
                settings: StrategySettings | None = StrategySettings.model_validate_json(item.settings)
            except ValidationError:
                settings = None
            yield str(item.gsi1sk), settings
