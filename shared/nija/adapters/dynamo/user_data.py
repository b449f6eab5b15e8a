"""The user's records in the state table, read for an export and deleted for an erasure.

Generic on purpose: it reads the user's partitions whole (USER#<id>, PAPER#<id>) and names each item's
kind by its sort key, so an item type added later is exported (as "other") and erased without a
change here. Plain boto3 (no pynamodb models): these are bulk reads of raw items and batch deletes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from nija.adapters.aws import client
from nija.adapters.dynamo import keys
from nija.config import get_settings
from nija.domain.audit_outbox import outbox_pk
from nija.domain.models import BrokerName

PER_BATCH = 25  # BatchWriteItem's limit
MAX_ATTEMPTS = 8
PAGE = 200
# A WebSocket connection's own item (nija.adapters.dynamo.connections): CONN#<connection id> / CONN.
CONNECTION_PREFIX, CONNECTION_SK = "CONN#", "CONN"

# sort-key prefix in USER#<id> -> kind
_USER_KINDS = {
    "PROFILE": "profile",
    "CRED#": "broker_credentials",
    "STRATEGY": "strategy_settings",
    "RISK": "risk_settings",
    "POS#": "positions",
    "EQUITY#": "equity",
    "DAYSTART#": "day_start_equity",
    "SWITCH": "kill_switch",
    "WS#": "websocket_connections",
    "DEVICE#": "devices",
    "ORDER#": "orders",
    "TRADE#": "trades",
    "EQSNAP#": "equity_snapshots",
    "PNL#": "pnl_buckets",
    "REQUEST#": "request_keys",
}
_PAPER_KINDS = {"BAL#": "paper_balances", "ORDER#": "paper_orders"}
# bulky kind -> (partition, index or None, sort-key prefix)
_BULKY: dict[str, tuple[str, str | None, str]] = {
    "orders": ("user", "gsi2", "ORDER#"),
    "trades": ("user", "gsi2", "TRADE#"),
    "equity_snapshots": ("user", None, "EQSNAP#"),
    "pnl_buckets": ("user", None, "PNL#"),
    "request_keys": ("user", None, "REQUEST#"),
    "paper_orders": ("paper", None, "ORDER#"),
}
# never exported: keys and index keys, and the API key (its value is a credential)
_HIDDEN = {"pk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "api_key", "api_key_id"}
_JSON_FIELDS = {"strategy_settings": "settings", "risk_settings": "settings"}
_deserialize = TypeDeserializer().deserialize


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)) or type(value).__name__ == "Binary":
        return None  # no binary attribute is ours to export; never a secret either
    return value


def _kind(kinds: dict[str, str], sk: str) -> str:
    for prefix, kind in kinds.items():
        if sk == prefix or (prefix.endswith("#") and sk.startswith(prefix)):
            return kind
    return "other"


def _fields(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    item = {k: _plain(_deserialize(v)) for k, v in raw.items() if k not in _HIDDEN}
    if kind != "other":
        item.pop("sk", None)
    json_field = _JSON_FIELDS.get(kind)
    if json_field and isinstance(item.get(json_field), str):
        item[json_field] = json.loads(item[json_field])
    return item


class DynamoUserRecords:
    def _table(self) -> str:
        return get_settings().catalogue.state_table.name

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, a page at a time, as the caller iterates."""
        ddb = client("dynamodb")
        start: dict[str, Any] | None = None
        while True:
            page = ddb.query(
                TableName=self._table(),
                Limit=PAGE,
                **kwargs,
                **({"ExclusiveStartKey": start} if start else {}),
            )
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _partition(
        self, pk: str, condition: str = "pk = :pk", values: dict[str, Any] | None = None, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        return self._query(
            KeyConditionExpression=condition,
            ExpressionAttributeValues={":pk": {"S": pk}, **(values or {})},
            **kwargs,
        )

    # --- export ----------------------------------------------------------------------------------

    def small_records(self, user_id: str) -> Iterator[tuple[str, dict[str, Any]]]:
        bulky_prefixes = [p for p, k in _USER_KINDS.items() if k in _BULKY]
        names = {f":b{i}": {"S": p} for i, p in enumerate(bulky_prefixes)}
        for raw in self._partition(
            keys.user_pk(user_id),
            FilterExpression=" AND ".join(f"NOT begins_with(sk, {n})" for n in names),
            values=names,
            ConsistentRead=True,
        ):
            kind = _kind(_USER_KINDS, raw["sk"]["S"])
            yield kind, _fields(kind, raw)
        for raw in self._partition(
            keys.paper_pk(user_id),
            "pk = :pk AND begins_with(sk, :bal)",
            values={":bal": {"S": "BAL#"}},
        ):
            yield "paper_balances", _fields("paper_balances", raw)

    def bulky_records(self, user_id: str, kind: str) -> Iterator[dict[str, Any]]:
        partition, index, prefix = _BULKY[kind]
        pk = keys.user_pk(user_id) if partition == "user" else keys.paper_pk(user_id)
        if index is None:
            condition, names = "pk = :pk AND begins_with(sk, :p)", {}
        else:
            condition, names = (
                "#ipk = :pk AND begins_with(#isk, :p)",
                {
                    "#ipk": f"{index}pk",
                    "#isk": f"{index}sk",
                },
            )
        for raw in self._query(
            **({"IndexName": index} if index else {}),
            KeyConditionExpression=condition,
            ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": prefix}},
            **({"ExpressionAttributeNames": names} if names else {}),
            ScanIndexForward=False,
        ):
            yield _fields(kind, raw)

    # --- erasure ---------------------------------------------------------------------------------

    def open_orders(self, user_id: str) -> list[str]:
        statuses = ("queued", "submitted", "accepted", "partially_filled")
        found = self._partition(
            keys.user_pk(user_id),
            "pk = :pk AND begins_with(sk, :o)",
            FilterExpression="#s IN (" + ", ".join(f":s{i}" for i in range(len(statuses))) + ")",
            ExpressionAttributeNames={"#s": "status"},
            ProjectionExpression="order_id",
            values={":o": {"S": "ORDER#"}, **{f":s{i}": {"S": s} for i, s in enumerate(statuses)}},
            ConsistentRead=True,
        )
        return [item["order_id"]["S"] for item in found]

    def _keys_of(self, pk: str) -> Iterator[tuple[str, str]]:
        for raw in self._partition(pk, ProjectionExpression="pk, sk", ConsistentRead=True):
            yield raw["pk"]["S"], raw["sk"]["S"]

    def _delete(self, wanted: list[tuple[str, str]]) -> int:
        ddb = client("dynamodb")
        table = self._table()
        wanted = list(dict.fromkeys(wanted))  # a batch may not name one key twice
        for start in range(0, len(wanted), PER_BATCH):
            pending: list[Any] = [
                {"DeleteRequest": {"Key": {"pk": {"S": pk}, "sk": {"S": sk}}}}
                for pk, sk in wanted[start : start + PER_BATCH]
            ]
            for _ in range(MAX_ATTEMPTS):
                answer = ddb.batch_write_item(RequestItems={table: pending})
                pending = answer.get("UnprocessedItems", {}).get(table, [])
                if not pending:
                    break
            else:
                raise RuntimeError(f"DynamoDB left {len(pending)} deletes unprocessed")
        return len(wanted)

    def purge(self, user_id: str, email: str) -> int:
        mine = [k for k in self._keys_of(keys.user_pk(user_id)) if k[1] != keys.PROFILE]
        connections = [
            (CONNECTION_PREFIX + sk.removeprefix("WS#"), CONNECTION_SK)
            for _, sk in mine
            if sk.startswith("WS#")
        ]
        budgets = [(keys.throttle_pk(b.value, user_id), keys.THROTTLE_BUCKET) for b in BrokerName]
        guard = [(keys.login_guard_pk(email), keys.GUARD)]
        paper = list(self._keys_of(keys.paper_pk(user_id)))
        # The audit outbox's copies: their stream records still reach the chain once they are gone.
        outbox = list(self._keys_of(outbox_pk(user_id)))
        # Deleting a key that holds no item is a no-op: the connections, budgets and guard are
        # deleted without reading them first.
        return self._delete([*connections, *budgets, *guard, *paper, *outbox, *mine])

    def delete_profile(self, user_id: str) -> None:
        client("dynamodb").delete_item(
            TableName=self._table(), Key={"pk": {"S": keys.user_pk(user_id)}, "sk": {"S": keys.PROFILE}}
        )
