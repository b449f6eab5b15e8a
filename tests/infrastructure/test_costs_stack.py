"""What the stage costs, bounded in the templates: a retention on every log group (API Gateway's
execution logs made first, so that API Gateway does not make them without one), execution logs at
ERROR, the stages' own metrics only, the stage's X-Ray sampling rule and its monthly cost budget; and
the user pool's email through SES with the stage's configuration set."""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import assertions
from cdk_synth import Synth, as_list, logical_id, render, resources

from infra_cdk.constructs.costs import BUDGET_ALERTS
from infra_cdk.constructs.user_pool import UserPool
from infra_cdk.stage import settings_for

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

STAGES = ["dev", "prod"]
RETENTION_DAYS = {"dev": 30, "prod": 365}


def _synth(request: pytest.FixtureRequest, stage: str) -> Synth:
    synth: Synth = request.getfixturevalue(stage)
    return synth


def _both(synth: Synth) -> dict[str, dict[str, Any]]:
    return {**synth.data_json["Resources"], **synth.service_json["Resources"]}


@pytest.mark.parametrize("stage", STAGES)
def test_every_log_group_has_the_stages_retention(request: pytest.FixtureRequest, stage: str) -> None:
    synth = _synth(request, stage)
    groups = {k: r for k, r in _both(synth).items() if r["Type"] == "AWS::Logs::LogGroup"}
    assert len(groups) >= 20
    assert {k: g["Properties"].get("RetentionInDays") for k, g in groups.items()} == dict.fromkeys(
        groups, RETENTION_DAYS[stage]
    )
    # No function writes to a group Lambda would make itself (kept forever): each names one of these.
    functions = {k: r for k, r in _both(synth).items() if r["Type"] == "AWS::Lambda::Function"}
    assert functions
    for function_id, function in functions.items():
        assert function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] in groups, function_id


def _execution_group(synth: Synth, api_type: str) -> tuple[str, dict[str, Any]]:
    template = synth.service_json
    (api_id,) = resources(template, api_type)
    name = {"Fn::Join": ["", ["API-Gateway-Execution-Logs_", {"Ref": api_id}, f"/{synth.stage}"]]}
    group_id = logical_id(template, "AWS::Logs::LogGroup", LogGroupName=name)
    return group_id, template["Resources"][group_id]


@pytest.mark.parametrize("stage", STAGES)
@pytest.mark.parametrize(
    ("api_type", "stage_type"),
    [
        ("AWS::ApiGateway::RestApi", "AWS::ApiGateway::Stage"),
        ("AWS::ApiGatewayV2::Api", "AWS::ApiGatewayV2::Stage"),
    ],
    ids=["rest", "websocket"],
)
def test_api_gateway_execution_log_group_is_made_first_with_a_retention(
    request: pytest.FixtureRequest, stage: str, api_type: str, stage_type: str
) -> None:
    synth = _synth(request, stage)
    group_id, group = _execution_group(synth, api_type)
    assert group["Properties"]["RetentionInDays"] == RETENTION_DAYS[stage]
    (api_stage,) = resources(synth.service_json, stage_type).values()
    assert group_id in api_stage["DependsOn"]  # before the stage's first log line
    assert group["DeletionPolicy"] == ("Retain" if stage == "prod" else "Delete")


@pytest.mark.parametrize("stage", STAGES)
def test_execution_logs_at_error_and_the_stages_own_metrics_only(
    request: pytest.FixtureRequest, stage: str
) -> None:
    synth = _synth(request, stage)
    (rest,) = resources(synth.service_json, "AWS::ApiGateway::Stage").values()
    settings = rest["Properties"]["MethodSettings"]
    assert ("*", "/*") in {(s["HttpMethod"], s["ResourcePath"]) for s in settings}
    for method in settings:  # the stage-wide one (no route has its own: test_rest_api)
        assert (method["LoggingLevel"], method["MetricsEnabled"]) == ("ERROR", False), method
        assert method["DataTraceEnabled"] is False
    (websocket,) = resources(synth.service_json, "AWS::ApiGatewayV2::Stage").values()
    routes = websocket["Properties"]["DefaultRouteSettings"]
    assert (routes["LoggingLevel"], routes["DetailedMetricsEnabled"], routes["DataTraceEnabled"]) == (
        "ERROR",
        False,
        False,
    )
    assert "RouteSettings" not in websocket["Properties"]  # no route sets its own


@pytest.mark.parametrize("stage", STAGES)
def test_the_stages_xray_sampling_rule(request: pytest.FixtureRequest, stage: str) -> None:
    synth = _synth(request, stage)
    (rule,) = resources(synth.service_json, "AWS::XRay::SamplingRule").values()
    props = rule["Properties"]["SamplingRule"]
    cat = synth.catalogue
    assert props["RuleName"] == cat.xray_sampling_rule_name and len(props["RuleName"]) <= 32
    assert (props["ReservoirSize"], props["FixedRate"]) == (
        cat.xray_reservoir_per_second,
        cat.xray_fixed_rate,
    )
    assert props["FixedRate"] <= 0.01 and props["ReservoirSize"] <= 1  # X-Ray's default: 1 and 5 %
    assert props["Priority"] < 10000  # before the default rule
    # It matches the REST API stage (traced; X-Ray names it "<api>/<stage>") and the functions, and no
    # other stage's services.
    (rest,) = resources(synth.service_json, "AWS::ApiGateway::Stage").values()
    assert rest["Properties"]["TracingEnabled"] is True
    assert fnmatchcase(f"{cat.rest_api_name}/{stage}", props["ServiceName"])
    assert all(fnmatchcase(fn.name, props["ServiceName"]) for fn in (cat.trading_api, cat.executor("paper")))
    other = "prod" if stage == "dev" else "dev"
    assert not fnmatchcase(f"nija-{other}-api/{other}", props["ServiceName"])
    assert {props[k] for k in ("ServiceType", "Host", "HTTPMethod", "URLPath", "ResourceARN")} == {"*"}


@pytest.mark.parametrize(("stage", "amount"), [("dev", 50), ("prod", 500)])
def test_the_monthly_cost_budget_alerts_the_alarm_topic(
    request: pytest.FixtureRequest, stage: str, amount: int
) -> None:
    synth = _synth(request, stage)
    template = synth.service_json
    (budget_id,) = resources(template, "AWS::Budgets::Budget")
    budget = template["Resources"][budget_id]
    data = budget["Properties"]["Budget"]
    assert (data["BudgetType"], data["TimeUnit"], data["BudgetLimit"]) == (
        "COST",
        "MONTHLY",
        {"Amount": amount, "Unit": "USD"},
    )
    assert data["CostFilters"] == {"TagKeyValue": [f"user:stage${stage}"]}
    topic_id = logical_id(template, "AWS::SNS::Topic", TopicName=f"{synth.catalogue.prefix}-alarms")
    expected = [{"Address": {"Ref": topic_id}, "SubscriptionType": "SNS"}]
    if stage == "prod":  # as the operator passed it (cdk_synth.PROD_CONTEXT)
        expected.append({"Address": "ops@nija.example.com", "SubscriptionType": "EMAIL"})
    notifications = budget["Properties"]["NotificationsWithSubscribers"]
    assert [
        (n["Notification"]["NotificationType"], n["Notification"]["Threshold"]) for n in notifications
    ] == list(BUDGET_ALERTS)
    for n in notifications:
        assert n["Notification"]["ComparisonOperator"] == "GREATER_THAN"
        assert n["Notification"]["ThresholdType"] == "PERCENTAGE"
        assert n["Subscribers"] == expected
    # Budgets may publish to the encrypted topic: the topic's policy and the key's, this account only.
    ((policy_id, policy),) = [
        (k, p["Properties"]["PolicyDocument"]["Statement"])
        for k, p in resources(template, "AWS::SNS::TopicPolicy").items()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    (publish,) = [s for s in policy if s.get("Principal") == {"Service": "budgets.amazonaws.com"}]
    assert publish["Effect"] == "Allow" and publish["Action"] == "sns:Publish"
    assert publish["Condition"]["StringEquals"] == {"aws:SourceAccount": "000000000000"}
    assert policy_id in budget["DependsOn"]  # allowed before the budget's first alert
    key_id = template["Resources"][topic_id]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key_statements = template["Resources"][key_id]["Properties"]["KeyPolicy"]["Statement"]
    (decrypt,) = [
        s for s in key_statements if "budgets.amazonaws.com" in as_list(s["Principal"].get("Service", []))
    ]
    assert set(decrypt["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    assert decrypt["Condition"] == {"StringEquals": {"aws:SourceAccount": "000000000000"}}


def test_prod_email_goes_through_ses_with_the_stages_configuration_set(prod: Synth) -> None:
    template = prod.service_json
    (set_id,) = resources(template, "AWS::SES::ConfigurationSet")
    config = template["Resources"][set_id]["Properties"]
    assert config["Name"] == prod.catalogue.email_configuration_set_name
    assert config["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
    assert config["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "From": "NIJA <no-reply@nija.example.com>",
        "SourceArn": "arn:aws:ses:us-east-1:000000000000:identity/no-reply@nija.example.com",
        "ConfigurationSet": {"Ref": set_id},
    }


def test_dev_keeps_cognitos_sender_by_default(dev: Synth) -> None:
    (pool,) = resources(dev.service_json, "AWS::Cognito::UserPool").values()
    assert pool["Properties"].get("EmailConfiguration", {}).get("EmailSendingAccount", "COGNITO_DEFAULT") == (
        "COGNITO_DEFAULT"
    )
    assert not resources(dev.service_json, "AWS::SES::ConfigurationSet")


# --- the user pool alone, for the settings an operator passes (fast: no layers, no whole app) -------


def _pool_stack(stage: str, **settings: Any) -> cdk.Stack:
    app = cdk.App()
    stack = cdk.Stack(app, "Pool", env=cdk.Environment(account="111122223333", region="eu-west-1"))
    UserPool(stack, "Users", settings=settings_for(stage, **settings))
    return stack


def test_prod_without_a_sender_does_not_synthesize() -> None:
    annotations = assertions.Annotations.from_stack(_pool_stack("prod"))
    annotations.has_error("/Pool/Users", assertions.Match.string_like_regexp("SES_FROM=.*50 messages a day"))


def test_a_domain_identity_signs_for_any_of_its_addresses_and_dev_may_use_ses_too() -> None:
    template = assertions.Template.from_stack(
        _pool_stack("dev", email_from="hello@mail.example.org", email_domain="mail.example.org")
    ).to_json()
    (set_id,) = resources(template, "AWS::SES::ConfigurationSet")
    assert template["Resources"][set_id]["Properties"]["Name"] == "nija-dev-email"
    (pool,) = resources(template, "AWS::Cognito::UserPool").values()
    email = pool["Properties"]["EmailConfiguration"]
    assert {k: render(v) for k, v in email.items()} == {
        "EmailSendingAccount": "DEVELOPER",
        "From": "NIJA <hello@mail.example.org>",
        "SourceArn": "arn:<AWS::Partition>:ses:eu-west-1:111122223333:identity/mail.example.org",
        "ConfigurationSet": f"<{set_id}>",
    }


@pytest.mark.parametrize(
    "settings",
    [
        {"email_from": "not-an-address"},
        {"email_from": "a@example.com", "email_domain": "other.example"},
        {"email_domain": "example.com"},
        {"budget_email": "ops"},
        {"monthly_budget_usd": "0"},
        {"monthly_budget_usd": "lots"},
    ],
)
def test_settings_from_the_command_line_are_checked(settings: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        settings_for("prod", **settings)


def test_settings_from_the_command_line_replace_the_stages() -> None:
    given = settings_for("dev", monthly_budget_usd="120", budget_email="ops@example.com")
    assert (given.monthly_budget_usd, given.budget_email, given.email_from) == (120, "ops@example.com", None)
    assert settings_for("dev").monthly_budget_usd == 50 and settings_for("prod").monthly_budget_usd == 500
