"""The audit anchors: a bucket under Object Lock in compliance mode (six years in prod, a day in dev),
encrypted with the data key, private and retained; the hourly function that may read and put the one
anchor object and nothing else there; admin_api reads it; no role may delete an anchor."""

from __future__ import annotations

import json

import pytest
from cdk_synth import Synth, function_role, logical_id, resources, role_statements

from nija.domain.audit_anchor import ANCHOR_EVERY, ANCHOR_KEY

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _bucket(synth: Synth) -> tuple[str, dict]:  # type: ignore[type-arg]
    [(bucket_id, bucket)] = resources(synth.data_json, "AWS::S3::Bucket").items()
    return bucket_id, bucket


@pytest.mark.parametrize(("stage", "days"), [("dev", 1), ("prod", 2190)])
def test_the_bucket_keeps_every_anchor_write_once(
    stage: str, days: int, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(stage)
    _, bucket = _bucket(synth)
    props = bucket["Properties"]
    assert props["ObjectLockEnabled"] is True
    assert props["ObjectLockConfiguration"]["Rule"]["DefaultRetention"] == {
        "Mode": "COMPLIANCE",
        "Days": days,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    [rule] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert "DataKey" in json.dumps(rule["ServerSideEncryptionByDefault"]["KMSMasterKeyID"])
    assert bucket["DeletionPolicy"] == "Retain"  # a locked object cannot go, so neither can its bucket


def test_the_schedule_runs_the_anchor_function_hourly(dev: Synth) -> None:
    fn_id = logical_id(
        dev.service_json, "AWS::Lambda::Function", FunctionName=dev.catalogue.audit_anchor.name
    )
    [rule] = [
        r["Properties"]
        for r in resources(dev.service_json, "AWS::Events::Rule").values()
        if r["Properties"].get("Name") == dev.catalogue.audit_anchor_rule_name
    ]
    assert rule["ScheduleExpression"] == f"rate({int(ANCHOR_EVERY.total_seconds() // 3600)} hour)"
    assert rule["Targets"][0]["Arn"] == {"Fn::GetAtt": [fn_id, "Arn"]}
    env = dev.service_json["Resources"][fn_id]["Properties"]["Environment"]["Variables"]
    assert "NIJA_AUDIT_ANCHOR_BUCKET" in env


def _s3_statements(synth: Synth, function_name: str) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    return [
        (s.actions, s.resources)
        for s in role_statements(synth)[function_role(synth, function_name)]
        if any(a.startswith("s3:") for a in s.actions)
    ]


def test_the_anchor_function_reads_and_puts_the_one_object_and_admin_api_reads_it(dev: Synth) -> None:
    bucket_id, _ = _bucket(dev)
    one_object = (f"<{bucket_id}.Arn>/{ANCHOR_KEY}",)
    # ListBucket on the bucket: without it S3 answers a GET of the first, unwritten anchor 403, not 404.
    listing = (("s3:ListBucket",), (f"<{bucket_id}.Arn>",))
    anchor_job = _s3_statements(dev, dev.catalogue.audit_anchor.name)
    assert sorted(anchor_job) == sorted([(("s3:GetObject", "s3:PutObject"), one_object), listing])
    admin = _s3_statements(dev, dev.catalogue.admin_api.name)
    assert sorted(admin) == sorted([(("s3:GetObject",), one_object), listing])


def test_a_broken_chain_or_a_failed_run_alarms(dev: Synth) -> None:
    alarms = {
        a["Properties"]["AlarmName"].removeprefix(f"{dev.catalogue.prefix}-"): a["Properties"]
        for a in resources(dev.service_json, "AWS::CloudWatch::Alarm").values()
    }
    broken = alarms["audit-chain-broken"]
    assert (broken["MetricName"], broken["Namespace"], broken["Threshold"]) == (
        "AuditChainsBroken",
        "NIJA",
        0,
    )
    assert broken["Dimensions"] == [{"Name": "service", "Value": "audit_anchor"}]
    failed = alarms["audit-anchor-failed"]
    assert failed["MetricName"] == "Errors" and failed["Threshold"] == 0
    assert broken["AlarmActions"] and failed["AlarmActions"]


def test_no_role_may_delete_an_anchor_or_change_its_retention(dev: Synth) -> None:
    forbidden = (
        "s3:Delete",
        "s3:PutObjectRetention",
        "s3:BypassGovernanceRetention",
        "s3:PutBucketObjectLock",
    )
    for role, statements in role_statements(dev).items():
        for s in statements:
            assert not [a for a in s.actions if a.startswith(forbidden) or a in ("s3:*", "*")], (role, s)
