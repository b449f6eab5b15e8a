"""The strategy settings store on moto: round trip, the scan shard index follows `enabled`, pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from members import member

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.dynamo.settings import DynamoStrategySettings
from nija.config import get_settings
from nija.domain.models import BrokerName
from nija.domain.settings import SCAN_SHARDS, StrategySettings, scan_shard
from nija.domain.strategies import DualRsiSettings

pytestmark = [pytest.mark.usefixtures("aws"), pytest.mark.members("alice", "bob")]

ENABLED = StrategySettings(
    enabled=True,
    brokers=(BrokerName.PAPER,),
    symbols=("BTC/USD", "ETH/USD"),
    timeframe="15m",
    thresholds=DualRsiSettings(oversold=25, midline=45, overbought=75, stop_loss=Decimal("0.03")),
)


def users_in(shard: int, count: int, prefix: str = "user") -> list[str]:
    """`count` user ids that fall in `shard`, in id order."""
    found: list[str] = []
    n = 0
    while len(found) < count:
        user_id = f"{prefix}-{n:05d}"
        if scan_shard(user_id) == shard:
            found.append(user_id)
        n += 1
    return sorted(found)


def raw_item(user_id: str) -> dict[str, dict[str, str]]:
    table = get_settings().catalogue.state_table.name
    key = {"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "STRATEGY"}}
    return dict(client("dynamodb").get_item(TableName=table, Key=key, ConsistentRead=True)["Item"])


def test_defaults_until_saved_then_round_trip() -> None:
    store = DynamoStrategySettings()
    assert store.get("nobody") == StrategySettings()
    assert store.get("nobody").enabled is False

    store.put("alice", ENABLED)
    assert store.get("alice") == ENABLED
    assert store.get("bob") == StrategySettings()  # one user's item is theirs only

    changed = ENABLED.model_copy(update={"symbols": ("SOL/USD",)})
    store.put("alice", changed)
    assert store.get("alice").symbols == ("SOL/USD",)


def test_index_membership_follows_enabled() -> None:
    store = DynamoStrategySettings()
    shard = scan_shard("alice")
    store.put("alice", ENABLED)
    assert list(store.enabled_in_shard(shard)) == [("alice", ENABLED)]
    item = raw_item("alice")
    assert (item["gsi1pk"]["S"], item["gsi1sk"]["S"]) == (f"SCAN#{shard}", "alice")

    disabled = ENABLED.model_copy(update={"enabled": False})
    store.put("alice", disabled)
    assert list(store.enabled_in_shard(shard)) == []
    assert "gsi1pk" not in raw_item("alice") and "gsi1sk" not in raw_item("alice")
    assert store.get("alice") == disabled  # the choices are kept for when they enable again

    store.put("alice", ENABLED)
    assert [u for u, _ in store.enabled_in_shard(shard)] == ["alice"]


def test_each_shard_lists_only_its_own_enabled_users() -> None:
    store = DynamoStrategySettings()
    users = [f"u{n}" for n in range(40)]
    member(*users)
    for n, user_id in enumerate(users):
        store.put(user_id, ENABLED if n % 2 == 0 else StrategySettings())
    seen: dict[str, int] = {}
    for shard in range(SCAN_SHARDS):
        for user_id, settings in store.enabled_in_shard(shard):
            assert scan_shard(user_id) == shard and settings == ENABLED
            seen[user_id] = seen.get(user_id, 0) + 1
    assert seen == {u: 1 for u in users[::2]}


def test_a_shard_is_read_over_every_page() -> None:
    shard = 3
    users = users_in(shard, 7)
    store = DynamoStrategySettings(page_size=2)  # four pages for seven users
    member(*users)
    for user_id in users:
        store.put(user_id, ENABLED)
    assert [u for u, _ in store.enabled_in_shard(shard)] == users

    table = get_settings().catalogue.state_table.name
    first = client("dynamodb").query(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": f"SCAN#{shard}"}},
        Limit=2,
    )
    assert len(first["Items"]) == 2 and "LastEvaluatedKey" in first  # so more than one page was read


def test_the_wiring_factory_serves_the_dynamo_store() -> None:
    assert isinstance(wiring.settings_store(), DynamoStrategySettings)
    assert wiring.settings_store() is wiring.settings_store()
