"""Create the catalogue's resources on an AWS endpoint (the moto server or in-process moto)."""

from __future__ import annotations

import json
from typing import Any

from nija.adapters.aws import client
from nija.catalogue import Catalogue, Index, TableDef


def _key_schema(table: TableDef | Any, pk: Any, sk: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
    if sk is not None:
        schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
    return schema


def _projection(index: Index) -> dict[str, Any]:
    """The index's projection as DynamoDB takes it (the CDK app writes the same from the catalogue)."""
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.include:
        projection["NonKeyAttributes"] = list(index.include)
    return projection


def create_table(table: TableDef) -> None:
    ddb = client("dynamodb")
    if table.name in ddb.list_tables()["TableNames"]:
        return
    kwargs: dict[str, Any] = {
        "TableName": table.name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": a.name, "AttributeType": a.type} for a in table.attributes
        ],
        "KeySchema": _key_schema(table, table.partition_key, table.sort_key),
    }
    if table.indexes:
        kwargs["GlobalSecondaryIndexes"] = [
            {
                "IndexName": i.name,
                "KeySchema": _key_schema(table, i.partition_key, i.sort_key),
                "Projection": _projection(i),
            }
            for i in table.indexes
        ]
    if table.stream:
        kwargs["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    ddb.create_table(**kwargs)
    ddb.get_waiter("table_exists").wait(TableName=table.name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    if table.ttl_attribute:
        ddb.update_time_to_live(
            TableName=table.name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )


def create_queues(cat: Catalogue) -> dict[str, str]:
    """Create every broker's FIFO queue with its DLQ and redrive policy; returns name → URL."""
    sqs = client("sqs")
    urls: dict[str, str] = {}
    for q in cat.queues.values():
        dlq_url = sqs.create_queue(
            QueueName=q.dlq_name,
            Attributes={"FifoQueue": "true", "MessageRetentionPeriod": str(q.dlq_retention_s)},
        )["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        urls[q.dlq_name] = dlq_url
        urls[q.name] = sqs.create_queue(
            QueueName=q.name,
            Attributes={
                "FifoQueue": "true",
                "VisibilityTimeout": str(q.visibility_timeout_s),
                "MessageRetentionPeriod": str(q.retention_s),
                "RedrivePolicy": json.dumps(
                    {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": q.max_receive_count}
                ),
            },
        )["QueueUrl"]
    return urls


def provision_data_plane(cat: Catalogue) -> dict[str, str]:
    """Tables and queues: what the handlers need besides identity."""
    create_table(cat.state_table)
    create_table(cat.audit_table)
    return create_queues(cat)


def create_anchor_bucket(cat: Catalogue, retention_days: int = 1) -> str:
    """The write-once bucket of audit anchors (Object Lock, compliance mode by default, as the CDK app
    makes it); returns its name."""
    s3, name = client("s3"), cat.local_anchor_bucket
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": retention_days}},
        },
    )
    return name


def create_vault_key(cat: Catalogue) -> str:
    """The customer-managed key of the vault (rotation on, as in the CDK app); returns its ARN."""
    kms = client("kms")
    key = kms.create_key(Description=f"{cat.prefix} vault", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=cat.vault_key_alias, TargetKeyId=key["KeyId"])
    return str(key["Arn"])
