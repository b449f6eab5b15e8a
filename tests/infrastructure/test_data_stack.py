"""The data stack: KMS key, state table and FIFO order queues, all named by the catalogue."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_synth import Synth, logical_id, resources

from nija.catalogue import BROKERS

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _table(synth: Synth) -> tuple[str, dict[str, Any]]:
    tables = resources(synth.data_json, "AWS::DynamoDB::GlobalTable")
    assert len(tables) == 1
    return next(iter(tables.items()))


def test_data_key_is_customer_managed_with_rotation(dev: Synth) -> None:
    dev.data.resource_count_is("AWS::KMS::Key", 1)
    dev.data.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True, "Enabled": Match.absent()})


def test_state_table_shape_comes_from_the_catalogue(dev: Synth) -> None:
    spec = dev.catalogue.state_table
    _, table = _table(dev)
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
    assert props["TimeToLiveSpecification"] == {"AttributeName": spec.ttl_attribute, "Enabled": True}
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}


def test_state_table_indexes_match_the_catalogue(dev: Synth) -> None:
    spec = dev.catalogue.state_table
    _, table = _table(dev)
    expected = [
        {
            "IndexName": index.name,
            "KeySchema": [
                {"AttributeName": index.partition_key.name, "KeyType": "HASH"},
                *([{"AttributeName": index.sort_key.name, "KeyType": "RANGE"}] if index.sort_key else []),
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
        for index in spec.indexes
    ]
    assert expected, "the catalogue defines at least one GSI"
    assert table["Properties"]["GlobalSecondaryIndexes"] == expected


def test_state_table_has_pitr_and_the_data_key(dev: Synth) -> None:
    key_id = next(iter(resources(dev.data_json, "AWS::KMS::Key")))
    _, table = _table(dev)
    props = table["Properties"]
    assert props["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    (replica,) = props["Replicas"]
    assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert replica["SSESpecification"] == {"KMSMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}


def test_dev_table_is_destroyed_with_the_stack(dev: Synth) -> None:
    _, table = _table(dev)
    assert table["DeletionPolicy"] == "Delete"
    assert table["UpdateReplacePolicy"] == "Delete"


def test_prod_table_is_retained_and_protected(prod: Synth) -> None:
    _, table = _table(prod)
    assert table["Properties"]["TableName"] == prod.catalogue.state_table.name
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"
    assert table["Properties"]["Replicas"][0]["DeletionProtectionEnabled"] is True
    key = next(iter(resources(prod.data_json, "AWS::KMS::Key").values()))
    assert key["DeletionPolicy"] == "Retain"


def test_one_fifo_queue_and_one_fifo_dlq_per_broker(dev: Synth) -> None:
    dev.data.resource_count_is("AWS::SQS::Queue", 2 * len(BROKERS))
    assert set(dev.catalogue.queues) == set(BROKERS)


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_order_queue_redrives_to_its_dlq(dev: Synth, broker: str) -> None:
    spec = dev.catalogue.queue(broker)
    key_id = next(iter(resources(dev.data_json, "AWS::KMS::Key")))
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


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_dlq_alarm_per_broker(dev: Synth, broker: str) -> None:
    dlq_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=dev.catalogue.queue(broker).dlq_name)
    dev.data.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": {"Fn::GetAtt": [dlq_id, "QueueName"]}}],
            "ComparisonOperator": "GreaterThanThreshold",
            "Threshold": 0,
        },
    )


def test_outputs_name_every_queue_url(dev: Synth) -> None:
    outputs = dev.data_json["Outputs"]
    for broker in BROKERS:
        queue_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=dev.catalogue.queue(broker).name)
        assert outputs[f"OrderQueueUrl{broker.value.capitalize()}"]["Value"] == {"Ref": queue_id}
    assert outputs["StateTableName"]["Value"] == {"Ref": _table(dev)[0]}
