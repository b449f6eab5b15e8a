"""The executor's pre-trade read: the user's profile, risk settings and keys (metadata), the global,
broker and user kill switches and the broker's circuit breaker, in one strongly consistent
BatchGetItem instead of seven reads."""

from __future__ import annotations

from typing import Any

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.accounts import _user
from nija.adapters.dynamo.controls import CONTROL, _breaker, _switch, _switch_key
from nija.adapters.dynamo.models import (
    BreakerItem,
    RiskSettingsItem,
    StateItem,
    SwitchItem,
    UserItem,
    bind,
)
from nija.domain.models import BrokerName
from nija.domain.risk import RiskSettings
from nija.domain.switches import Breaker, SwitchScope
from nija.logic.pretrade import PreTradeState

MAX_ATTEMPTS = 5  # a batch read may come back with unprocessed keys (throttling): ask again


class DynamoPreTradeReader:
    def __init__(self) -> None:
        bind()

    def read(self, user_id: str, broker: BrokerName) -> PreTradeState:
        pk = keys.user_pk(user_id)
        wanted = {
            "profile": (pk, keys.PROFILE),
            "risk": (pk, "RISK"),
            "keys": (pk, keys.credential_sk(broker.value)),
            "breaker": (CONTROL, f"BREAKER#{broker.value}"),
            "global": _switch_key(SwitchScope.GLOBAL, "global"),
            "broker": _switch_key(SwitchScope.BROKER, broker.value),
            "user": _switch_key(SwitchScope.USER, user_id),
        }
        found = self._batch_get(list(wanted.values()))
        raw = {name: found.get(key) for name, key in wanted.items()}
        switches = tuple(
            _switch(SwitchItem.from_raw_data(raw[s])) for s in ("global", "broker", "user") if raw[s]
        )
        return PreTradeState(
            user=_user(UserItem.from_raw_data(raw["profile"])) if raw["profile"] else None,
            settings=(
                RiskSettings.model_validate_json(RiskSettingsItem.from_raw_data(raw["risk"]).settings)
                if raw["risk"]
                else RiskSettings()
            ),
            connected=raw["keys"] is not None,
            switches=switches,
            breaker=(
                _breaker(BreakerItem.from_raw_data(raw["breaker"]))
                if raw["breaker"]
                else Breaker(broker=broker.value)
            ),
        )

    @staticmethod
    def _batch_get(wanted: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        connection = StateItem._get_connection()
        table = connection.table_name
        pending: list[Any] = [{"pk": pk, "sk": sk} for pk, sk in wanted]
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for _ in range(MAX_ATTEMPTS):
            response = connection.batch_get_item(pending, consistent_read=True)
            for item in response.get("Responses", {}).get(table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            pending = [
                {"pk": k["pk"]["S"], "sk": k["sk"]["S"]}
                for k in response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            ]
            if not pending:
                return found
        raise RuntimeError(f"DynamoDB left {len(pending)} pre-trade reads unprocessed")
