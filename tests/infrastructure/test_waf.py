"""AWS WAF in front of the REST API (infra_cdk/constructs/waf.py): the web ACL on the stage, the
per-address rate-based rules with the catalogue's numbers, their scope on the sign-in routes, the AWS
managed rule groups, and the log."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from cdk_synth import Synth, render, resources

from infra_cdk.constructs.waf import path_pattern
from nija.api.routes import ROUTES, sign_in_paths

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

STAGES = ["dev", "prod"]


def _synth(request: pytest.FixtureRequest, stage: str) -> Synth:
    synth: Synth = request.getfixturevalue(stage)
    return synth


def _acl(synth: Synth) -> tuple[str, dict[str, Any]]:
    ((acl_id, acl),) = resources(synth.service_json, "AWS::WAFv2::WebACL").items()
    return acl_id, acl["Properties"]


def _rules(synth: Synth) -> dict[str, dict[str, Any]]:
    return {r["Name"]: r for r in _acl(synth)[1]["Rules"]}


@pytest.mark.parametrize("stage", STAGES)
def test_the_web_acl_guards_the_rest_api_stage(request: pytest.FixtureRequest, stage: str) -> None:
    synth = _synth(request, stage)
    acl_id, acl = _acl(synth)
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    (association,) = resources(synth.service_json, "AWS::WAFv2::WebACLAssociation").values()
    props = association["Properties"]
    assert props["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (api_id,) = resources(synth.service_json, "AWS::ApiGateway::RestApi")
    ((stage_id, api_stage),) = resources(synth.service_json, "AWS::ApiGateway::Stage").items()
    assert api_stage["Properties"]["StageName"] == stage
    assert render(props["ResourceArn"]).endswith(f"::/restapis/<{api_id}>/stages/<{stage_id}>")


@pytest.mark.parametrize("stage", STAGES)
def test_rate_based_rules_hold_the_catalogues_numbers(request: pytest.FixtureRequest, stage: str) -> None:
    synth = _synth(request, stage)
    cat = synth.catalogue
    rules = _rules(synth)
    bodies = _acl(synth)[1]["CustomResponseBodies"]
    for name, limit in (("sign-in-per-ip", cat.sign_in_ip_limit), ("all-per-ip", cat.ip_limit)):
        rate = rules[name]["Statement"]["RateBasedStatement"]
        assert rate["AggregateKeyType"] == "IP"
        assert (rate["Limit"], rate["EvaluationWindowSec"]) == (limit.limit, limit.window_s)
        response = rules[name]["Action"]["Block"]["CustomResponse"]
        assert response["ResponseCode"] == 429
        headers = {h["Name"]: h["Value"] for h in response["ResponseHeaders"]}
        assert headers["Retry-After"] == str(limit.window_s)
        assert headers["Cache-Control"] == "no-store" and headers["X-Content-Type-Options"] == "nosniff"
        body = bodies[response["CustomResponseBodyKey"]]
        assert body["ContentType"] == "APPLICATION_JSON"
        error = json.loads(body["Content"])["error"]
        assert error["code"] == "rate_limited" and str(limit.limit) in error["message"]
        assert rules[name]["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
        assert rules[name]["VisibilityConfig"]["SampledRequestsEnabled"] is True
    assert "ScopeDownStatement" not in rules["all-per-ip"]["Statement"]["RateBasedStatement"]
    assert rules["sign-in-per-ip"]["Priority"] < rules["all-per-ip"]["Priority"]
    if stage == "dev":  # the web app's origin can read the wait
        assert {"Name": "Access-Control-Expose-Headers", "Value": "Retry-After"} in rules["all-per-ip"][
            "Action"
        ]["Block"]["CustomResponse"]["ResponseHeaders"]


@pytest.mark.parametrize("stage", STAGES)
def test_the_sign_in_rule_counts_the_sign_in_routes_only(request: pytest.FixtureRequest, stage: str) -> None:
    synth = _synth(request, stage)
    scope = _rules(synth)["sign-in-per-ip"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    statements = scope["OrStatement"]["Statements"]
    patterns = set()
    for statement in statements:
        match = statement["RegexMatchStatement"]
        assert match["FieldToMatch"] == {"UriPath": {}}
        patterns.add(match["RegexString"])
    expected = {r.path for r in ROUTES if r.public and r.path.startswith("/v1/auth/")}
    assert sign_in_paths() == expected
    assert patterns == {path_pattern(path, stage) for path in expected}
    matched = [re.compile(p) for p in patterns]

    def counted(path: str) -> bool:
        return any(p.match(path) for p in matched)

    for path in expected:  # on the execute-api URL (the stage first), and on a custom domain
        assert counted(f"/{stage}{path}") and counted(path) and counted(path + "/")
    for path in ("/v1/auth/mfa/setup", f"/{stage}/v1/auth/login/x", "/other/v1/auth/login", "/v1/me"):
        assert not counted(path), path
    assert not any("(" in p.replace("(?:", "") for p in patterns)  # WAF takes no capturing group


@pytest.mark.parametrize("stage", STAGES)
def test_aws_managed_rule_groups(request: pytest.FixtureRequest, stage: str) -> None:
    rules = _rules(_synth(request, stage))
    groups = {
        r["Statement"]["ManagedRuleGroupStatement"]["Name"]: r
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    }
    assert set(groups) == {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    }
    for rule in groups.values():
        assert rule["OverrideAction"] == {"None": {}}
        assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
    # The API takes bodies up to 64 KiB (a backtest's inline candles); the common set blocks over 8 KB.
    common = groups["AWSManagedRulesCommonRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert common["RuleActionOverrides"] == [{"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}]
    assert (
        "RuleActionOverrides"
        not in groups["AWSManagedRulesKnownBadInputsRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    )
    assert sorted(r["Priority"] for r in rules.values()) == list(range(len(rules)))


def test_blocked_and_counted_requests_are_logged_without_tokens(dev: Synth) -> None:
    acl_id, acl = _acl(dev)
    assert acl["VisibilityConfig"]["CloudWatchMetricsEnabled"] is True
    assert acl["VisibilityConfig"]["SampledRequestsEnabled"] is False  # allowed requests carry tokens
    (logging,) = resources(dev.service_json, "AWS::WAFv2::LoggingConfiguration").values()
    props = logging["Properties"]
    assert props["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    (destination,) = props["LogDestinationConfigs"]
    group_id = render(destination).split(":log-group:")[1].strip("<>")  # the group's ARN, without ":*"
    group = dev.service_json["Resources"][group_id]["Properties"]
    assert group["LogGroupName"] == f"aws-waf-logs-{dev.catalogue.prefix}-api"  # WAF's required prefix
    assert group["RetentionInDays"] == 30
    assert props["RedactedFields"] == [{"SingleHeader": {"Name": "authorization"}}]
    assert props["LoggingFilter"]["DefaultBehavior"] == "DROP"
    (keep,) = props["LoggingFilter"]["Filters"]
    assert keep["Behavior"] == "KEEP"
    assert {c["ActionCondition"]["Action"] for c in keep["Conditions"]} == {"BLOCK", "COUNT"}
