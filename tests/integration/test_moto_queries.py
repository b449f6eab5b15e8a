"""The local stack's partition-only Query (nija.local.moto_queries) against moto as shipped: the same
items, in the same order, with the same pages, for every kind of key condition."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from nija.local import moto_queries, moto_server

TABLE, HASH_ONLY = "q-range", "q-hash"

QUERIES: dict[str, dict[str, Any]] = {
    "a partition": {"KeyConditionExpression": "pk = :p"},
    "begins_with": {"KeyConditionExpression": "pk = :p AND begins_with(sk, :b)"},
    "between": {"KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi"},
    "greater than, newest first": {
        "KeyConditionExpression": "pk = :p AND sk > :lo",
        "ScanIndexForward": False,
    },
    "at most, newest first": {
        "KeyConditionExpression": "pk = :p AND sk <= :hi",
        "ScanIndexForward": False,
    },
    "less than": {"KeyConditionExpression": "pk = :p AND sk < :lo"},
    "at least": {"KeyConditionExpression": "pk = :p AND sk >= :lo"},
    "one key": {"KeyConditionExpression": "pk = :p AND sk = :lo"},
    "a prefix past the last key": {"KeyConditionExpression": "pk = :p AND begins_with(sk, :z)"},
    "filtered": {"KeyConditionExpression": "pk = :p", "FilterExpression": "n > :n"},
    "projected": {"KeyConditionExpression": "pk = :p", "ProjectionExpression": "sk"},
    "counted": {"KeyConditionExpression": "pk = :p", "Select": "COUNT"},
    "a missing partition": {"KeyConditionExpression": "pk = :none"},
    "an index": {"KeyConditionExpression": "g = :g", "IndexName": "by-g"},
}
VALUES = {
    ":p": {"S": "user#2"},
    ":b": {"S": "ORDER#"},
    ":lo": {"S": "ORDER#03"},
    ":hi": {"S": "ORDER#07"},
    ":n": {"N": "4"},
    ":none": {"S": "nobody"},
    ":z": {"S": "PROFILE"},
    ":g": {"S": "open"},
}


def _setup(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "g")],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.create_table(
        TableName=HASH_ONLY,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for user in range(4):
        for n in range(10):
            item = {"pk": {"S": f"user#{user}"}, "sk": {"S": f"ORDER#{9 - n:02d}"}, "n": {"N": str(n)}}
            if n % 3 == 0:
                item["g"] = {"S": "open"}
            ddb.put_item(TableName=TABLE, Item=item)
        ddb.put_item(TableName=TABLE, Item={"pk": {"S": f"user#{user}"}, "sk": {"S": "PROFILE"}})
        ddb.put_item(TableName=HASH_ONLY, Item={"id": {"S": f"user#{user}"}})
        # keys deleted, written again, replaced, and one put taken back by a cancelled transaction
        pk = {"S": f"user#{user}"}
        ddb.delete_item(TableName=TABLE, Key={"pk": pk, "sk": {"S": "ORDER#04"}})
        ddb.delete_item(TableName=TABLE, Key={"pk": pk, "sk": {"S": "ORDER#06"}})
        ddb.put_item(TableName=TABLE, Item={"pk": pk, "sk": {"S": "ORDER#06"}, "n": {"N": "99"}})
        ddb.put_item(TableName=TABLE, Item={"pk": pk, "sk": {"S": "ORDER#03"}, "n": {"N": "42"}})
        with pytest.raises(ddb.exceptions.TransactionCanceledException):
            ddb.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": TABLE, "Item": {"pk": pk, "sk": {"S": "ORDER#045"}}}},
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": {"pk": pk, "sk": {"S": "PROFILE"}},
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )


def _pages(ddb: Any, **query: Any) -> list[Any]:
    """The pages of a query. A last empty page is dropped: moto as shipped ends a full page with a
    LastEvaluatedKey when any item of the partition follows it, even one outside the key condition,
    and the partition-only query when one inside it follows. DynamoDB allows both (a client reads
    until there is no LastEvaluatedKey), so that page says nothing about the items."""
    pages, start = [], None
    while True:
        page = ddb.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append((page.get("Items"), page["Count"], page["ScannedCount"]))
        if not (start := page.get("LastEvaluatedKey")):
            return pages[:-1] if len(pages) > 1 and pages[-1] == ([], 0, 0) else pages


def _run(name: str, limit: int | None) -> list[Any]:
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        _setup(ddb)
        query = dict(QUERIES[name], TableName=TABLE)
        used = {k: v for k, v in VALUES.items() if k in str(query)}
        query["ExpressionAttributeValues"] = used
        if limit:
            query["Limit"] = limit
        pages = _pages(ddb, **query)
        pages.append(
            _pages(
                ddb,
                TableName=HASH_ONLY,
                KeyConditionExpression="id = :p",
                ExpressionAttributeValues={":p": VALUES[":p"]},
            )
        )
        return pages


@pytest.fixture
def shipped() -> Iterator[None]:
    moto_queries.uninstall()
    yield
    moto_server.install()


@pytest.mark.parametrize("limit", [None, 3])
@pytest.mark.parametrize("name", list(QUERIES))
def test_same_pages_as_moto_as_shipped(name: str, limit: int | None, shipped: None) -> None:
    expected = _run(name, limit)
    moto_queries.install()
    try:
        actual = _run(name, limit)
    finally:
        moto_queries.uninstall()
    assert actual == expected
    if name not in ("a missing partition",):
        assert actual[0][1] > 0, "the case found nothing: it proves nothing"


def test_a_partition_keeps_its_keys_in_order_through_every_change() -> None:
    import copy
    import random

    from moto.dynamodb.models.dynamo_type import DynamoType

    rng = random.Random(7)
    part = moto_queries.SortedPartition()
    for step in range(2000):
        key = DynamoType({"S": f"K#{rng.randrange(200):03d}"})
        match rng.randrange(6):
            case 0 | 1:
                part[key] = step
            case 2:
                part.pop(key, None)
            case 3:
                if key in part:
                    del part[key]
            case 4:
                part.update({DynamoType({"S": f"K#{rng.randrange(200):03d}"}): step})
            case 5:
                part = copy.deepcopy(part)
        assert part._keys == sorted(part, key=lambda k: k.cast_value)
    prefix = [DynamoType({"S": "K#1"})]
    assert [k.cast_value for k in part.key_range("BEGINS_WITH", prefix)] == sorted(
        k.cast_value for k in part if k.cast_value.startswith("K#1")
    )
