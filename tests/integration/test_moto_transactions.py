"""The local stack's TransactWriteItems snapshot (nija.local.moto_transactions) against moto as shipped:
every case run both ways must leave the same items, the same stream records and the same error, and
a failed transaction must leave nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from nija.local import moto_server, moto_transactions

RANGE, HASH = "tx-range", "tx-hash"

Case = Callable[[Any], None]


def _tables(ddb: Any) -> None:
    ddb.create_table(
        TableName=RANGE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.create_table(
        TableName=HASH,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    for sk, n in (("b", "1"), ("c", "2"), ("d", "3")):
        ddb.put_item(TableName=RANGE, Item={"pk": {"S": "u"}, "sk": {"S": sk}, "n": {"N": n}})
    ddb.put_item(TableName=HASH, Item={"id": {"S": "h1"}, "n": {"N": "7"}})


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "u"}, "sk": {"S": sk}}


def _put(sk: str, cond: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"TableName": RANGE, "Item": {**_key(sk), "n": {"N": "9"}}}
    if cond:
        op["ConditionExpression"] = cond
    return {"Put": op}


def _update(sk: str) -> dict[str, Any]:
    return {
        "Update": {
            "TableName": RANGE,
            "Key": _key(sk),
            "UpdateExpression": "SET n = if_not_exists(n, :z) + :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":z": {"N": "0"}},
        }
    }


def _delete(sk: str) -> dict[str, Any]:
    return {"Delete": {"TableName": RANGE, "Key": _key(sk)}}


def _fails(sk: str) -> dict[str, Any]:
    return {
        "ConditionCheck": {
            "TableName": RANGE,
            "Key": _key(sk),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


HASH_UPDATE = {
    "Update": {
        "TableName": HASH,
        "Key": {"id": {"S": "h1"}},
        "UpdateExpression": "SET n = n + :one",
        "ExpressionAttributeValues": {":one": {"N": "1"}},
    }
}
HASH_PUT = {"Put": {"TableName": HASH, "Item": {"id": {"S": "h2"}}}}

CASES: dict[str, list[dict[str, Any]]] = {
    "all applied": [_put("a"), _update("b"), _delete("c"), HASH_UPDATE, HASH_PUT],
    "last condition fails": [_put("a"), _update("b"), _delete("c"), HASH_UPDATE, HASH_PUT, _fails("d")],
    "first condition fails": [_fails("d"), _put("a"), _update("b")],
    "update creates, then a put's condition fails": [
        _update("new"),
        _put("d", "attribute_not_exists(pk)"),
    ],
    "same item twice": [_put("a"), _update("b"), _delete("b")],
    "a put without its sort key": [
        _put("a"),
        {"Put": {"TableName": RANGE, "Item": {"pk": {"S": "u"}}}},
    ],
}


def _state(ddb: Any) -> tuple[Any, ...]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    tables = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].tables
    items = {
        name: sorted(str(i) for i in ddb.scan(TableName=name, ConsistentRead=True)["Items"])
        for name in (RANGE, HASH)
    }
    streams = {
        name: [
            (
                r.record["eventName"],
                str(r.record["dynamodb"]["Keys"]),
                str(r.record["dynamodb"].get("NewImage")),
            )
            for r in tables[name].stream_shard.items
        ]
        for name in (RANGE, HASH)
    }
    return items, streams


def _run(ops: list[dict[str, Any]]) -> tuple[Any, ...]:
    from moto import mock_aws

    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        _tables(ddb)
        before = _state(ddb)
        error: Any = None
        try:
            ddb.transact_write_items(TransactItems=ops)
        except ClientError as exc:
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            error = (exc.response["Error"]["Code"], reasons)
        return before, _state(ddb), error


@pytest.fixture
def shipped() -> Iterator[None]:
    moto_transactions.uninstall()
    yield
    moto_server.install()


@pytest.mark.parametrize("case", list(CASES))
def test_same_outcome_as_moto_as_shipped(case: str, shipped: None) -> None:
    expected = _run(CASES[case])
    moto_transactions.install()
    try:
        actual = _run(CASES[case])
    finally:
        moto_transactions.uninstall()
    assert actual == expected
    before, after, error = actual
    if error is None:
        assert after != before
    else:
        assert after == before, "a failed transaction left something behind"


def test_failures_are_reported_with_moto_s_reasons() -> None:
    moto_transactions.install()
    _, _, error = _run(CASES["last condition fails"])
    assert error == ("TransactionCanceledException", ["None"] * 5 + ["ConditionalCheckFailed"])
    _, _, error = _run(CASES["same item twice"])
    assert error is not None and error[0] == "ValidationException"
