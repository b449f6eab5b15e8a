"""The data stack: KMS key, state table and FIFO order queues, all named by the catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_synth import Synth, data_key_id, logical_id

from nija.catalogue import BROKERS

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


TABLES = ["state_table", "audit_table"]


def _table(synth: Synth, which: str = "state_table") -> tuple[str, dict[str, Any]]:
    table_id = logical_id(
        synth.data_json, "AWS::DynamoDB::GlobalTable", TableName=getattr(synth.catalogue, which).name
    )
    return table_id, synth.data_json["Resources"][table_id]


def test_one_table_per_catalogue_table(dev: Synth) -> None:
    dev.data.resource_count_is("AWS::DynamoDB::GlobalTable", len(TABLES))


def test_data_key_is_customer_managed_with_rotation(dev: Synth) -> None:
    # The tables' and queues' data key, and the vault's own key (test_vault).
    dev.data.resource_count_is("AWS::KMS::Key", 2)
    key = dev.data_json["Resources"][data_key_id(dev)]["Properties"]
    assert key["EnableKeyRotation"] is True
    assert "Enabled" not in key


@pytest.mark.parametrize("which", TABLES)
def test_table_shape_comes_from_the_catalogue(dev: Synth, which: str) -> None:
    spec = getattr(dev.catalogue, which)
    _, table = _table(dev, which)
    props = table["Properties"]
    assert props["TableName"] == spec.name
    assert props["KeySchema"] == [
        {"AttributeName": spec.partition_key.name, "KeyType": "HASH"},
        {"AttributeName": spec.sort_key.name, "KeyType": "RANGE"},
    ]
    assert {(a["AttributeName"], a["AttributeType"]) for a in props["AttributeDefinitions"]} == {
        (a.name, a.type) for a in spec.attributes
    }
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    if spec.ttl_attribute:
        assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in props
    if spec.stream:
        assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    else:
        assert "StreamSpecification" not in props


def test_state_table_expires_items_and_streams_changes_audit_table_keeps_everything(dev: Synth) -> None:
    assert dev.catalogue.state_table.ttl_attribute and dev.catalogue.state_table.stream
    assert dev.catalogue.audit_table.ttl_attribute is None


@pytest.mark.parametrize("which", TABLES)
def test_table_indexes_match_the_catalogue(dev: Synth, which: str) -> None:
    spec = getattr(dev.catalogue, which)
    _, table = _table(dev, which)
    expected = [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.partition_key.name, "KeyType": "HASH"},
                *([{"AttributeName": index.sort_key.name, "KeyType": "RANGE"}] if index.sort_key else []),
            ],
            "Projection": {
                "ProjectionType": index.projection,
                **({"NonKeyAttributes": list(index.include)} if index.include else {}),
            },
        }
        for index in spec.indexes
    ]
    assert expected, "the catalogue defines at least one GSI"
    assert table["Properties"]["GlobalSecondaryIndexes"] == expected


def test_audit_indexes_hold_keys_and_the_actor_its_one_filter_reads(dev: Synth) -> None:
    _, table = _table(dev, "audit_table")
    projections = {i["IndexName"]: i["Projection"] for i in table["Properties"]["GlobalSecondaryIndexes"]}
    assert projections == {
        "gsi1": {"ProjectionType": "KEYS_ONLY"},
        "gsi2": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["actor"]},
        "gsi3": {"ProjectionType": "KEYS_ONLY"},
        "gsi4": {"ProjectionType": "KEYS_ONLY"},
    }


@pytest.mark.parametrize("which", TABLES)
def test_table_has_pitr_and_the_data_key(dev: Synth, which: str) -> None:
    key_id = data_key_id(dev)
    _, table = _table(dev, which)
    props = table["Properties"]
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}


@pytest.mark.parametrize("which", TABLES)
def test_dev_table_is_destroyed_with_the_stack(dev: Synth, which: str) -> None:
    _, table = _table(dev, which)
    assert table["DeletionPolicy"] == "Delete"
    assert table["UpdateReplacePolicy"] == "Delete"


@pytest.mark.parametrize("which", TABLES)
def test_prod_table_is_retained_and_protected(prod: Synth, which: str) -> None:
    _, table = _table(prod, which)
    assert table["Properties"]["TableName"] == getattr(prod.catalogue, which).name
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True
    assert prod.data_json["Resources"][data_key_id(prod)]["DeletionPolicy"] == "Retain"


def test_one_fifo_queue_and_one_fifo_dlq_per_broker(dev: Synth) -> None:
    dev.data.resource_count_is("AWS::SQS::Queue", 2 * len(BROKERS))
    assert set(dev.catalogue.queues) == set(BROKERS)


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_order_queue_redrives_to_its_dlq(dev: Synth, broker: str) -> None:
    spec = dev.catalogue.queue(broker)
    key_id = data_key_id(dev)
    dlq_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=spec.dlq_name)
    dev.data.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": spec.name,
            "FifoQueue": True,
            "ContentBasedDeduplication": False,
            "VisibilityTimeout": spec.visibility_timeout_s,
            "MessageRetentionPeriod": spec.retention_s,
            "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                "maxReceiveCount": spec.max_receive_count,
            },
        },
    )
    dev.data.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "QueueName": spec.dlq_name,
            "FifoQueue": True,
            "ContentBasedDeduplication": False,
            "MessageRetentionPeriod": spec.dlq_retention_s,
            "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            "RedrivePolicy": Match.absent(),
        },
    )


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_queues_refuse_plain_http(dev: Synth, broker: str) -> None:
    spec = dev.catalogue.queue(broker)
    for name in (spec.name, spec.dlq_name):
        queue_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=name)
        dev.data.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [{"Ref": queue_id}],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_outputs_name_every_queue_url(dev: Synth) -> None:
    outputs = dev.data_json["Outputs"]
    for broker in BROKERS:
        queue_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=dev.catalogue.queue(broker).name)
        assert outputs[f"OrderQueueUrl{broker.value.capitalize()}"]["Value"] == {"Ref": queue_id}
    assert outputs["StateTableName"]["Value"] == {"Ref": _table(dev)[0]}
    assert outputs["AuditTableName"]["Value"] == {"Ref": _table(dev, "audit_table")[0]}


def test_audit_table_refuses_updates_and_deletes_to_everyone(dev: Synth) -> None:
    """The audit table's resource policy denies any principal every way to change or remove an item,
    whatever an IAM policy allows; the state table has no such policy."""
    assert dev.catalogue.audit_table.append_only and not dev.catalogue.state_table.append_only
    _, table = _table(dev, "audit_table")
    (statement,) = table["Properties"]["Replicas"][0]["ResourcePolicy"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Principal"] == {"AWS": "*"}
    assert set(statement["Action"]) == {
        "dynamodb:BatchWriteItem",
        "dynamodb:DeleteItem",
        "dynamodb:PartiQLDelete",
        "dynamodb:PartiQLUpdate",
        "dynamodb:UpdateItem",
    }
    assert statement["Resource"] == "*"
    _, state = _table(dev, "state_table")
    assert "ResourcePolicy" not in state["Properties"]["Replicas"][0]
