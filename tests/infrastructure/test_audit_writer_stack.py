"""The audit writer: the state table's stream filtered to the audit outbox's inserts, retried until a
record leaves the stream (never skipped after N tries, as the stream processor's pushes are), a named
failure queue that alarms, and the rights to append to the audit table and nothing more."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_synth import Synth, logical_id, resources

from nija.adapters.dynamo.keys import outbox_pk, outbox_sk
from nija.adapters.dynamo.outbox_records import is_outbox

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _writer(synth: Synth) -> str:
    return logical_id(
        synth.service_json, "AWS::Lambda::Function", FunctionName=synth.catalogue.audit_writer.name
    )


def _mapping(synth: Synth) -> dict[str, Any]:
    fn_id = _writer(synth)
    [mapping] = [
        m["Properties"]
        for m in resources(synth.service_json, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    return mapping


def test_the_writer_reads_only_the_outbox_inserts_from_the_state_tables_stream(dev: Synth) -> None:
    mapping = _mapping(dev)
    assert "StateTable" in json.dumps(mapping["EventSourceArn"]) and "StreamArn" in json.dumps(
        mapping["EventSourceArn"]
    )
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["eventName"] == ["INSERT"]
    pk_prefix = pattern["dynamodb"]["Keys"]["pk"]["S"][0]["prefix"]
    sk_prefix = pattern["dynamodb"]["Keys"]["sk"]["S"][0]["prefix"]
    # The CDK's filter and the local poller's (is_outbox) keep the same items.
    assert outbox_pk("u1").startswith(pk_prefix) and outbox_sk("e1").startswith(sk_prefix)
    assert is_outbox({"pk": pk_prefix + "u1", "sk": sk_prefix + "e1"})
    assert not is_outbox({"pk": "USER#u1", "sk": sk_prefix + "e1"})


def test_a_failing_record_is_retried_until_it_leaves_the_stream_then_named_on_a_queue(dev: Synth) -> None:
    mapping = _mapping(dev)
    assert mapping["StartingPosition"] == "TRIM_HORIZON"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Unset: CloudFormation's -1, retried without a count or age limit (the stream's 24 hours)
    assert "MaximumRetryAttempts" not in mapping and "MaximumRecordAgeInSeconds" not in mapping
    queue_id = mapping["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0]
    queue = dev.service_json["Resources"][queue_id]["Properties"]
    assert queue["KmsMasterKeyId"]
    alarms = [
        a["Properties"]
        for a in resources(dev.service_json, "AWS::CloudWatch::Alarm").values()
        if "audit-writer" in a["Properties"].get("AlarmName", "")
    ]
    named = {a["AlarmName"].removeprefix(f"{dev.catalogue.prefix}-"): a for a in alarms}
    assert {"audit-writer-behind", "audit-writer-dropped-records"} <= set(named)
    dropped = named["audit-writer-dropped-records"]
    assert queue_id in json.dumps(dropped) and dropped["Threshold"] == 0
    assert "IteratorAge" in json.dumps(named["audit-writer-behind"]["Metrics"])


def test_the_writer_may_append_to_the_audit_table_and_change_nothing(dev: Synth) -> None:
    t = dev.service_json
    role = t["Resources"][_writer(dev)]["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for policy in resources(t, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    dynamo = {a for a in actions if a.startswith("dynamodb:")}
    assert {"dynamodb:PutItem", "dynamodb:Query"} <= dynamo
    assert not dynamo & {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
    audit_writes = [
        s
        for s in statements
        if "dynamodb:PutItem" in json.dumps(s["Action"]) and "Audit" in json.dumps(s["Resource"])
    ]
    assert audit_writes, "no PutItem on the audit table"
    assert not [
        s
        for s in statements
        if "dynamodb:PutItem" in json.dumps(s["Action"]) and "StateTable" in json.dumps(s["Resource"])
    ]
