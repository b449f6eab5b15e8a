"""The executor's pre-trade read: the user's profile, risk settings, permissions and keys (metadata),
the global, broker and user kill switches and the broker's circuit breaker, in one strongly consistent
BatchGetItem instead of eight reads."""

from __future__ import annotations

from decimal import Decimal

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.batch import batch_get
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.mapping import breaker_from, permissions_from, switch_from, user_from
from nija.adapters.dynamo.models import (
    BreakerItem,
    EquityItem,
    PermissionsItem,
    RiskSettingsItem,
    SwitchItem,
    UserItem,
)
from nija.domain.models import BrokerName
from nija.domain.permissions import UserPermissions
from nija.domain.risk import RiskSettings
from nija.domain.switches import Breaker, SwitchScope
from nija.logic.pretrade import PreTradeState


class DynamoPreTradeReader:
    def __init__(self) -> None:
        bind()

    def read(self, user_id: str, broker: BrokerName) -> PreTradeState:
        pk = keys.user_pk(user_id)
        wanted = {
            "profile": (pk, keys.PROFILE),
            "risk": (pk, keys.RISK),
            "permissions": (pk, keys.PERMISSIONS),
            "keys": (pk, keys.credential_sk(broker.value)),
            "breaker": (keys.CONTROL, keys.breaker_sk(broker.value)),
            "global": keys.switch_key(SwitchScope.GLOBAL, "global"),
            "broker": keys.switch_key(SwitchScope.BROKER, broker.value),
            "user": keys.switch_key(SwitchScope.USER, user_id),
            "day_start": (pk, keys.DAY_START),
            # the last valuation at every broker: the total equity without a query
            **{f"equity:{b.value}": (pk, keys.equity_sk(b.value)) for b in BrokerName},
        }
        found = batch_get(list(wanted.values()))
        raw = {name: found.get(key) for name, key in wanted.items()}
        equities = {
            name.removeprefix("equity:"): Decimal(EquityItem.from_raw_data(item).equity)
            for name, item in raw.items()
            if name.startswith("equity:") and item
        }
        day = EquityItem.from_raw_data(raw["day_start"]) if raw["day_start"] else None
        switches = tuple(
            switch_from(SwitchItem.from_raw_data(raw[s])) for s in ("global", "broker", "user") if raw[s]
        )
        return PreTradeState(
            user=user_from(UserItem.from_raw_data(raw["profile"])) if raw["profile"] else None,
            settings=(
                RiskSettings.model_validate_json(RiskSettingsItem.from_raw_data(raw["risk"]).settings)
                if raw["risk"]
                else RiskSettings()
            ),
            connected=raw["keys"] is not None,
            switches=switches,
            breaker=(
                breaker_from(BreakerItem.from_raw_data(raw["breaker"]))
                if raw["breaker"]
                else Breaker(broker=broker.value)
            ),
            equities=equities,
            day_start=(day.at, Decimal(day.equity)) if day is not None else None,
            permissions=(
                permissions_from(PermissionsItem.from_raw_data(raw["permissions"])).permissions
                if raw["permissions"]
                else UserPermissions()
            ),
        )
