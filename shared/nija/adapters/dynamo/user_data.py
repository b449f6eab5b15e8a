"""The user's records in the state table, read for an export and deleted for an erasure.

Generic on purpose: it reads the user's partitions whole (their own and their paper account's) and
names each item's kind by its keys (keys.parse; each kind's export section is in the layout,
nija.adapters.dynamo.keys), so an item type added later is exported (as "other") and erased without a
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
from nija.domain.items import ItemKey, ItemKind
from nija.domain.models import BrokerName
from nija.ports.user_data import BULKY

PER_BATCH = 25  # BatchWriteItem's limit
MAX_ATTEMPTS = 8
PAGE = 200
# bulky export section -> its kind of item, read newest first (orders and trades by time, on gsi2,
# whose sort keys begin as the items' own; the rest by their sort keys, which are times or ids)
_BULKY: dict[str, ItemKind] = {
    s.export: s.kind for s in keys.STATE_SHAPES if s.export in BULKY and s.export is not None
}
_BY_TIME = {ItemKind.ORDER: "gsi2", ItemKind.TRADE: "gsi2"}
# the field that keeps the sort key's name, where the item holds it nowhere else
_NAMED = {ItemKind.NOTIFIED: "notification"}
# never exported: keys and index keys, and the API Gateway key a profile made before the limits
# moved into the API functions may still hold (its value was a credential)
_HIDDEN = {"pk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "api_key", "api_key_id"}
_JSON_FIELDS = {
    "strategy_settings": "settings",
    "risk_settings": "settings",
    "permissions": "permissions",
    "reconciliation": "differences",
}
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


def _record(raw: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The export section and the fields of an item; None for a kind the export leaves out (the
    layout says why), "other" (with its sort key) for keys of no declared kind."""
    key = keys.parse(raw["pk"]["S"], raw["sk"]["S"])
    section = keys.SHAPE[key.kind].export if key is not None else "other"
    if section is None:
        return None
    return section, _fields(section, raw, key)


def _fields(section: str, raw: dict[str, Any], key: ItemKey | None = None) -> dict[str, Any]:
    item = {k: _plain(_deserialize(v)) for k, v in raw.items() if k not in _HIDDEN}
    if section != "other":
        item.pop("sk", None)
    if key is not None and key.kind in _NAMED:
        item[_NAMED[key.kind]] = key.name
    json_field = _JSON_FIELDS.get(section)
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
        bulky_prefixes = [keys.sk_prefix(k) for k in _BULKY.values() if k is not ItemKind.PAPER_ORDER]
        names = {f":b{i}": {"S": p} for i, p in enumerate(bulky_prefixes)}
        for raw in self._partition(
            keys.user_pk(user_id),
            FilterExpression=" AND ".join(f"NOT begins_with(sk, {n})" for n in names),
            values=names,
            ConsistentRead=True,
        ):
            if (record := _record(raw)) is not None:
                yield record
        for raw in self._partition(
            keys.paper_pk(user_id),
            "pk = :pk AND begins_with(sk, :bal)",
            values={":bal": {"S": keys.PAPER_BALANCE_PREFIX}},
        ):
            if (record := _record(raw)) is not None:
                yield record

    def bulky_records(self, user_id: str, kind: str) -> Iterator[dict[str, Any]]:
        item_kind = _BULKY[kind]
        pk = keys.paper_pk(user_id) if item_kind is ItemKind.PAPER_ORDER else keys.user_pk(user_id)
        index = _BY_TIME.get(item_kind)
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
            ExpressionAttributeValues={":pk": {"S": pk}, ":p": {"S": keys.sk_prefix(item_kind)}},
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
            values={":o": {"S": keys.ORDER_PREFIX}, **{f":s{i}": {"S": s} for i, s in enumerate(statuses)}},
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
            (keys.connection_pk(key.name), keys.CONNECTION_SK)
            for key in (keys.parse(pk, sk) for pk, sk in mine)
            if key is not None and key.kind is ItemKind.USER_CONNECTION
        ]
        budgets = [(keys.throttle_pk(b.value, user_id), keys.THROTTLE_BUCKET) for b in BrokerName]
        budgets += [(keys.reconcile_due_pk(b.value), user_id) for b in BrokerName]  # reminders
        budgets.append((keys.request_window_pk(user_id), keys.REQUEST_WINDOW))
        guard = [(keys.login_guard_pk(email), keys.GUARD)]
        paper = list(self._keys_of(keys.paper_pk(user_id)))
        # The audit outbox's copies: their stream records still reach the chain once they are gone.
        outbox = list(self._keys_of(keys.outbox_pk(user_id)))
        # Deleting a key that holds no item is a no-op: the connections, budgets, reminders and guard are
        # deleted without reading them first.
        return self._delete([*connections, *budgets, *guard, *paper, *outbox, *mine])

    def delete_profile(self, user_id: str) -> None:
        client("dynamodb").delete_item(
            TableName=self._table(), Key={"pk": {"S": keys.user_pk(user_id)}, "sk": {"S": keys.PROFILE}}
        )
