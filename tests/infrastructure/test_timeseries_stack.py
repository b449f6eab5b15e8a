"""Timestream behind the app's `timestream` flag: off by default (nothing created, nothing granted),
on with `-c timestream=true` (the database and table, and write on that table for the stream processor)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template
from cdk_synth import Synth, logical_id, resources

from infra_cdk.app import build_app
from infra_cdk.stage import cdk_json_context

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _processor(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][logical_id(template, "AWS::Lambda::Function", FunctionName=name)]


def test_off_by_default(dev: Synth) -> None:
    t = dev.service_json
    assert not resources(t, "AWS::Timestream::Database") and not resources(t, "AWS::Timestream::Table")
    env = _processor(t, dev.catalogue.stream_processor.name)["Properties"]["Environment"]["Variables"]
    assert "NIJA_TIMESTREAM_ENABLED" not in env
    assert "timestream" not in str(resources(t, "AWS::IAM::Policy"))


def test_on_with_the_flag(dev: Synth, tmp_path_factory: pytest.TempPathFactory) -> None:
    outdir: Path = tmp_path_factory.mktemp("cdk-timestream")
    context = cdk_json_context(stage="dev", timestream="true", **{"aws:cdk:disable-asset-staging": True})
    nija = build_app(context=context, outdir=str(outdir), nag=False)
    t = Template.from_stack(nija.service).to_json()
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
