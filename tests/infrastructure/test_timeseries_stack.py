"""Timestream behind the app's `timestream` flag: off by default (nothing created, nothing granted),
on with `-c timestream=true` (the database and table, and write on that table for the stream processor)."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synth import Synth, logical_id, resources

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _processor(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][logical_id(template, "AWS::Lambda::Function", FunctionName=name)]


def test_off_by_default(dev: Synth) -> None:
    t = dev.service_json
    assert not resources(t, "AWS::Timestream::Database") and not resources(t, "AWS::Timestream::Table")
    env = _processor(t, dev.catalogue.stream_processor.name)["Properties"]["Environment"]["Variables"]
    assert "NIJA_TIMESTREAM_ENABLED" not in env
    assert "timestream" not in str(resources(t, "AWS::IAM::Policy"))


def test_on_with_the_flag(dev: Synth, dev_timestream: Synth) -> None:
    t = dev_timestream.service_json
    [db] = resources(t, "AWS::Timestream::Database").values()
    assert db["Properties"]["DatabaseName"] == dev.catalogue.timestream_database
    [table_id] = resources(t, "AWS::Timestream::Table")
    assert t["Resources"][table_id]["Properties"]["TableName"] == dev.catalogue.timestream_table
    fn = _processor(t, dev.catalogue.stream_processor.name)
    assert fn["Properties"]["Environment"]["Variables"]["NIJA_TIMESTREAM_ENABLED"] == "true"
    role = fn["Properties"]["Role"]["Fn::GetAtt"][0]
    statements = [
        s
        for policy in resources(t, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    write = [s for s in statements if s["Action"] == "timestream:WriteRecords"]
    assert write == [
        {
            "Action": "timestream:WriteRecords",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [table_id, "Arn"]},
        }
    ]
    # Only the stream processor writes.
    assert str(statements).count("timestream:WriteRecords") == str(resources(t, "AWS::IAM::Policy")).count(
        "timestream:WriteRecords"
    )
