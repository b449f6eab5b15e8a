"""Risk state in the state table: each user's risk settings, the latest valuation at each broker and
the equity at the start of the user's current day. The equity items share a sort-key prefix in the
user's partition (keys.equity_sk, keys.DAY_START), so one query reads every figure the daily loss
limit needs."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import EquityItem, RiskSettingsItem, StateItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, write
from nija.domain.money import fmt
from nija.domain.risk import RiskSettings
from nija.domain.standing import active, kept


def risk_item(user_id: str, settings: RiskSettings) -> RiskSettingsItem:
    return RiskSettingsItem(keys.user_pk(user_id), keys.RISK, settings=settings.model_dump_json())


class DynamoRiskStore:
    def __init__(self) -> None:
        bind()

    def settings(self, user_id: str) -> RiskSettings:
        try:
            item = RiskSettingsItem.get(keys.user_pk(user_id), keys.RISK, consistent_read=True)
        except RiskSettingsItem.DoesNotExist:
            return RiskSettings()
        return RiskSettings.model_validate_json(item.settings)

    def put_settings(self, user_id: str, settings: RiskSettings) -> None:
        write([Save(risk_item(user_id, settings))], account=active(user_id))

    def record_equity(self, user_id: str, broker: str, equity: Decimal, at: datetime) -> None:
        item = EquityItem(keys.user_pk(user_id), keys.equity_sk(broker), equity=fmt(equity), at=at)
        write([Save(item)], account=kept(user_id))

    def record_snapshot(self, user_id: str, equity: Decimal, at: datetime) -> None:
        """The user's total equity into its 5-minute snapshot bucket (nija.adapters.dynamo.analytics)."""
        from nija.adapters.dynamo.analytics import record_snapshot

        record_snapshot(user_id, equity, at)

    def equity_state(self, user_id: str) -> tuple[dict[str, Decimal], tuple[datetime, Decimal] | None]:
        """The latest valuation at each of the user's brokers, and the last day-start record."""
        equities: dict[str, Decimal] = {}
        day_start = None
        for i in EquityItem.query(
            keys.user_pk(user_id), EquityItem.sk.startswith(keys.EQUITY_PREFIX), consistent_read=True
        ):
            broker = keys.equity_broker(i.sk)
            if broker is None:
                day_start = (i.at, Decimal(i.equity))
            else:
                equities[broker] = Decimal(i.equity)
        return equities, day_start

    def start_day(self, user_id: str, day_start: datetime, equity_now: Decimal, at: datetime) -> Decimal:
        """Record `equity_now` as the equity at the start of the day beginning at `day_start`, unless
        a record for that day exists (another instance's first order of the day won the race)."""
        item = EquityItem(keys.user_pk(user_id), keys.DAY_START, equity=fmt(equity_now), at=at)
        try:
            condition = StateItem.pk.does_not_exist() | (EquityItem.at < day_start)
            write([Save(item, condition)], account=kept(user_id))
        except ConditionFailed:
            return Decimal(EquityItem.get(keys.user_pk(user_id), keys.DAY_START, consistent_read=True).equity)
        return equity_now
