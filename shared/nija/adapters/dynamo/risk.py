"""Risk state in the state table: each user's risk settings and equity snapshots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pynamodb.exceptions import PutError

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.accounts import conditional_failed
from nija.adapters.dynamo.models import EquityItem, RiskSettingsItem, StateItem, bind
from nija.domain.money import fmt
from nija.domain.risk import RiskSettings


class DynamoRiskStore:
    def __init__(self) -> None:
        bind()

    def settings(self, user_id: str) -> RiskSettings:
        try:
            item = RiskSettingsItem.get(keys.user_pk(user_id), "RISK", consistent_read=True)
        except RiskSettingsItem.DoesNotExist:
            return RiskSettings()
        return RiskSettings.model_validate_json(item.settings)

    def put_settings(self, user_id: str, settings: RiskSettings) -> None:
        RiskSettingsItem(keys.user_pk(user_id), "RISK", settings=settings.model_dump_json()).save()

    def record_equity(self, user_id: str, broker: str, equity: Decimal, at: datetime) -> None:
        EquityItem(keys.user_pk(user_id), f"EQUITY#{broker}", equity=fmt(equity), at=at).save()

    def equities(self, user_id: str) -> dict[str, Decimal]:
        """The latest valuation at each of the user's brokers."""
        return {
            i.sk.removeprefix("EQUITY#"): Decimal(i.equity)
            for i in EquityItem.query(
                keys.user_pk(user_id), EquityItem.sk.startswith("EQUITY#"), consistent_read=True
            )
        }

    def day_start_equity(self, user_id: str, day: str, equity_now: Decimal, at: datetime) -> Decimal:
        """The equity recorded at the start of the user's local `day` (YYYY-MM-DD); the first call of
        the day records `equity_now` as that figure, every later call gets it back."""
        item = EquityItem(keys.user_pk(user_id), f"DAYSTART#{day}", equity=fmt(equity_now), at=at)
        try:
            item.save(condition=StateItem.pk.does_not_exist())
        except PutError as exc:
            if not conditional_failed(exc):
                raise
            return Decimal(
                EquityItem.get(keys.user_pk(user_id), f"DAYSTART#{day}", consistent_read=True).equity
            )
        return equity_now
