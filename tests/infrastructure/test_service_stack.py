"""The service stack: the layers, the functions, their triggers and their permissions."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match
from cdk_synth import Synth, data_key_id, data_target, logical_id, render, resources, vault_key_id

from infra_cdk.constructs.functions import HANDLER, broker_layers
from layers.recipes import LAYERS, TRADING_API_LAYERS
from nija.catalogue import BROKERS, FunctionDef
from nija.domain.credentials import kept_in_vault
from nija.domain.models import BrokerName

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _functions(synth: Synth) -> list[FunctionDef]:
    cat = synth.catalogue
    return [
        *(cat.executor(b) for b in BROKERS),
        *(cat.strategy_scan(b) for b in BROKERS),
        *cat.api_functions,
        cat.authorizer,
        cat.realtime,
        cat.stream_processor,
        cat.audit_writer,
        cat.audit_anchor,
    ]


def _function(synth: Synth, definition: FunctionDef) -> tuple[str, dict[str, Any]]:
    fn_id = logical_id(synth.service_json, "AWS::Lambda::Function", FunctionName=definition.name)
    return fn_id, synth.service_json["Resources"][fn_id]["Properties"]


def _statements(synth: Synth, fn_id: str) -> list[dict[str, Any]]:
    """Every statement of the inline policies attached to the function's role."""
    role = synth.service_json["Resources"][fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        statement
        for policy in resources(synth.service_json, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def _targets(synth: Synth, fn_id: str, action: str) -> set[str]:
    """Data-stack logical ids that ``action`` is allowed on for this function."""
    found: set[str] = set()
    for statement in _statements(synth, fn_id):
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and action in actions:
            arns = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            # Whole-resource ARNs only; derived ones (``<table>/index/<name>``) are Fn::Join and skipped.
            found |= {
                data_target(synth.data_json, arn)
                for arn in arns
                if isinstance(arn, dict) and "Fn::Join" not in arn
            }
    return found


def _allowed(synth: Synth, fn_id: str, prefix: str) -> set[tuple[str, str]]:
    """(action, rendered resource) pairs of the function's Allow statements whose action starts with prefix."""
    found: set[tuple[str, str]] = set()
    for statement in _statements(synth, fn_id):
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        arns = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        found |= {(a, render(arn)) for a in actions if a.startswith(prefix) for arn in arns}
    return found


def _apigw(path: str) -> str:
    return f"arn:<AWS::Partition>:apigateway:<AWS::Region>::{path}"


def _flush_verdicts(synth: Synth) -> tuple[str, str]:
    """FlushStageAuthorizersCache on this stage of the REST API."""
    api_id = next(iter(resources(synth.service_json, "AWS::ApiGateway::RestApi")))
    return (
        "apigateway:DELETE",
        _apigw(f"/restapis/<{api_id}>/stages/{synth.catalogue.stage}/cache/authorizers"),
    )


def _api_function_id(synth: Synth, key: str) -> str:
    definition = next(d for d in synth.catalogue.api_functions if d.key == key)
    return _function(synth, definition)[0]


def _table_id(synth: Synth, which: str = "state_table") -> str:
    name = getattr(synth.catalogue, which).name
    return logical_id(synth.data_json, "AWS::DynamoDB::GlobalTable", TableName=name)


def _queue_id(synth: Synth, name: str) -> str:
    return logical_id(synth.data_json, "AWS::SQS::Queue", QueueName=name)


def _layer_ids(synth: Synth) -> dict[str, str]:
    """Layer name in layers/recipes.py -> logical id of its LayerVersion."""
    prefix = f"{synth.catalogue.prefix}-"
    return {
        r["Properties"]["LayerName"].removeprefix(prefix): k
        for k, r in resources(synth.service_json, "AWS::Lambda::LayerVersion").items()
    }


def test_every_layer_targets_python312_arm64(dev: Synth) -> None:
    # common, ccxt-coinbase, ccxt-kraken, ccxt-binance, alpaca (executors), ccxt (trading_api)
    assert set(_layer_ids(dev)) == set(LAYERS)
    for layer in resources(dev.service_json, "AWS::Lambda::LayerVersion").values():
        props = layer["Properties"]
        assert props["CompatibleRuntimes"] == ["python3.12"]
        assert props["CompatibleArchitectures"] == ["arm64"]
        assert props["Description"] == LAYERS[props["LayerName"].removeprefix("nija-dev-")].description


def _function_layers(synth: Synth, definition: FunctionDef) -> list[str]:
    names = {v: k for k, v in _layer_ids(synth).items()}
    return [names[ref["Ref"]] for ref in _function(synth, definition)[1]["Layers"]]


def test_broker_layers_per_executor() -> None:
    assert {b: broker_layers(b) for b in BROKERS} == {
        BrokerName.COINBASE: ("ccxt-coinbase",),
        BrokerName.KRAKEN: ("ccxt-kraken",),
        BrokerName.BINANCE: ("ccxt-binance",),
        BrokerName.ALPACA: ("alpaca",),
        BrokerName.PAPER: (),
    }


@pytest.mark.parametrize("stage", ["dev", "prod"])
@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_has_the_common_layer_and_its_brokers_only(
    request: pytest.FixtureRequest, stage: str, broker: BrokerName
) -> None:
    synth: Synth = request.getfixturevalue(stage)
    layers = _function_layers(synth, synth.catalogue.executor(broker))
    assert sorted(layers) == sorted(["common", *broker_layers(broker)])


def test_api_functions_and_authorizer_layers(dev: Synth) -> None:
    """trading_api checks users' keys with every broker's client; the others need none."""
    for definition in [*dev.catalogue.api_functions, dev.catalogue.authorizer]:
        expected = ["common", *TRADING_API_LAYERS] if definition.key == "trading_api" else ["common"]
        assert sorted(_function_layers(dev, definition)) == sorted(expected), definition.key


def test_every_function_is_catalogued(dev: Synth) -> None:
    names = {
        r["Properties"]["FunctionName"] for r in resources(dev.service_json, "AWS::Lambda::Function").values()
    }
    assert names == {d.name for d in _functions(dev)}


@pytest.mark.parametrize("which", ["executor", "dashboard_api", "trading_api", "admin_api", "authorizer"])
def test_function_baseline(dev: Synth, which: str) -> None:
    common_id = _layer_ids(dev)["common"]
    definitions = [d for d in _functions(dev) if d.key == which]
    assert definitions
    for definition in definitions:
        _, props = _function(dev, definition)
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert props["Handler"] == HANDLER == "handler.handler"
        assert props["MemorySize"] == definition.memory_mb
        assert props["Timeout"] == definition.timeout_s
        assert props["TracingConfig"] == {"Mode": "Active"}
        assert {"Ref": common_id} in props["Layers"]
        assert "ReservedConcurrentExecutions" not in props
        env = props["Environment"]["Variables"]
        assert env["NIJA_STAGE"] == "dev"
        assert env["POWERTOOLS_SERVICE_NAME"] == definition.key
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "NIJA"
        assert env["LOG_LEVEL"]
        log_group = dev.service_json["Resources"][props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert log_group["Properties"]["LogGroupName"] == f"/aws/lambda/{definition.name}"
        assert log_group["Properties"]["RetentionInDays"] > 0


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_per_broker_consumes_its_queue(dev: Synth, broker: str) -> None:
    fn_id, props = _function(dev, dev.catalogue.executor(broker))
    assert props["Environment"]["Variables"]["NIJA_BROKER"] == broker
    mappings = [
        r["Properties"]
        for r in resources(dev.service_json, "AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert len(mappings) == 1
    (mapping,) = mappings
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert data_target(dev.data_json, mapping["EventSourceArn"]) == _queue_id(
        dev, dev.catalogue.queue(broker).name
    )


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_per_broker_has_its_sync_schedule(dev: Synth, broker: str) -> None:
    fn_id, _ = _function(dev, dev.catalogue.executor(broker))
    rule_name = dev.catalogue.sync_rule_name(broker)
    assert dev.catalogue.broker_of(f"arn:aws:events:us-east-1:000000000000:rule/{rule_name}") == broker
    dev.service.has_resource_properties(
        "AWS::Events::Rule",
        {
            "Name": rule_name,
            "ScheduleExpression": "rate(1 minute)",
            "State": "ENABLED",
            "Targets": [Match.object_like({"Arn": {"Fn::GetAtt": [fn_id, "Arn"]}})],
        },
    )
    dev.service.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "FunctionName": {"Fn::GetAtt": [fn_id, "Arn"]},
            "Principal": "events.amazonaws.com",
            "SourceArn": {
                "Fn::GetAtt": [logical_id(dev.service_json, "AWS::Events::Rule", Name=rule_name), "Arn"]
            },
        },
    )


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_permissions_are_scoped_to_its_broker(dev: Synth, broker: str) -> None:
    spec = dev.catalogue.queue(broker)
    fn_id, _ = _function(dev, dev.catalogue.executor(broker))
    assert _targets(dev, fn_id, "sqs:ReceiveMessage") == {_queue_id(dev, spec.name)}
    assert _targets(dev, fn_id, "sqs:DeleteMessage") == {_queue_id(dev, spec.name)}
    # Only quarantine: a message that can never be processed goes straight to its own DLQ.
    assert _targets(dev, fn_id, "sqs:SendMessage") == {_queue_id(dev, spec.dlq_name)}
    table_id = _table_id(dev)
    # PutItem on the audit table too: test_only_the_authorizer_writes_no_audit_log
    assert table_id in _targets(dev, fn_id, "dynamodb:PutItem")
    # Query on the audit table too: the head of a chain it appends to (test_only_the_authorizer_...)
    assert _targets(dev, fn_id, "dynamodb:Query") == {table_id, _table_id(dev, "audit_table")}
    # The broker's shared request budgets: a consistent read, then a conditional put (items only).
    assert _targets(dev, fn_id, "dynamodb:GetItem") == {table_id}
    # The vault key only under its broker's conditions (test_vault_iam); the paper broker keeps no keys
    vault = {vault_key_id(dev)} if kept_in_vault(BrokerName(broker)) else set()
    assert _targets(dev, fn_id, "kms:Decrypt") == {data_key_id(dev), *vault}


def test_trading_api_can_send_to_every_queue(dev: Synth) -> None:
    fn_id, props = _function(dev, dev.catalogue.trading_api)
    assert _targets(dev, fn_id, "sqs:SendMessage") == {
        _queue_id(dev, q.name) for q in dev.catalogue.queues.values()
    }
    assert _targets(dev, fn_id, "sqs:ReceiveMessage") == set()
    assert "NIJA_BROKER" not in props["Environment"]["Variables"]


def test_dashboard_api_touches_no_queue(dev: Synth) -> None:
    assert _allowed(dev, _api_function_id(dev, "dashboard_api"), "sqs:") == set()


def test_admin_api_reads_the_depth_of_every_queue_and_dlq_only(dev: Synth) -> None:
    """GET /admin/health: messages waiting and in flight; no message is sent, received or deleted."""
    allowed = _allowed(dev, _api_function_id(dev, "admin_api"), "sqs:")
    assert {action for action, _ in allowed} == {"sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    queues = [name for q in dev.catalogue.queues.values() for name in (q.name, q.dlq_name)]
    assert len({arn for _, arn in allowed}) == len(queues)


@pytest.mark.parametrize("key", ["dashboard_api", "trading_api", "admin_api"])
def test_api_functions_read_and_write_the_table_with_its_key(dev: Synth, key: str) -> None:
    fn_id = _api_function_id(dev, key)
    table_id = _table_id(dev)
    key_id = data_key_id(dev)
    audit_id = _table_id(
        dev, "audit_table"
    )  # appended to, searched by admin_api: test_only_the_authorizer_...
    for action in ("dynamodb:GetItem", "dynamodb:Query", "dynamodb:UpdateItem", "dynamodb:DeleteItem"):
        assert _targets(dev, fn_id, action) - {audit_id} == {table_id}, action
    assert audit_id not in _targets(dev, fn_id, "dynamodb:UpdateItem") | _targets(
        dev, fn_id, "dynamodb:DeleteItem"
    )
    # PutItem also on the audit table: test_only_the_authorizer_writes_no_audit_log
    assert table_id in _targets(dev, fn_id, "dynamodb:PutItem")
    # trading_api also holds the vault key, only under the conditions test_vault asserts.
    vault = {vault_key_id(dev)} if key == "trading_api" else set()
    assert _targets(dev, fn_id, "kms:Decrypt") == {key_id, *vault}
    assert _targets(dev, fn_id, "kms:GenerateDataKey*") == {key_id}
    assert _targets(dev, fn_id, "kms:GenerateDataKey") == vault


@pytest.mark.parametrize("key", ["dashboard_api", "trading_api", "admin_api"])
def test_api_functions_environment(dev: Synth, key: str) -> None:
    fn_id = _api_function_id(dev, key)
    env = dev.service_json["Resources"][fn_id]["Properties"]["Environment"]["Variables"]
    pool_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPool")))
    client_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPoolClient")))
    assert env["NIJA_STAGE"] == "dev"
    assert env["NIJA_AUTH_MODE"] == "gateway"
    assert env["NIJA_USER_POOL_ID"] == {"Ref": pool_id}
    assert env["NIJA_USER_POOL_CLIENT_ID"] == {"Ref": client_id}
    assert env["POWERTOOLS_SERVICE_NAME"] == key
    assert "NIJA_USAGE_PLAN_IDS" not in env  # no usage plans: the functions hold the tier limits
    api_id = next(iter(resources(dev.service_json, "AWS::ApiGateway::RestApi")))
    assert env["NIJA_REST_API_ID"] == {"Ref": api_id}  # whose authorizer cache a disable flushes
    assert "NIJA_AUTO_CONFIRM_SIGNUP" not in env  # local stack only


def test_dashboard_api_compensates_a_failed_signup_and_issues_no_keys(dev: Synth) -> None:
    fn_id = _api_function_id(dev, "dashboard_api")
    assert _allowed(dev, fn_id, "apigateway:") == {
        _flush_verdicts(dev),  # an erasure: the user's cached authorizations go at once
    }
    pool_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPool")))
    assert _allowed(dev, fn_id, "cognito-idp:") == {
        ("cognito-idp:AdminDeleteUser", f"<{pool_id}.Arn>"),
        ("cognito-idp:AdminUserGlobalSignOut", f"<{pool_id}.Arn>"),  # a password reset ends every session
    }


def test_admin_api_manages_users_and_touches_no_keys(dev: Synth) -> None:
    fn_id = _api_function_id(dev, "admin_api")
    assert _allowed(dev, fn_id, "apigateway:") == {
        _flush_verdicts(dev),  # disable, erase, tier change: the user's cached authorizations go
    }
    pool_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPool")))
    assert _allowed(dev, fn_id, "cognito-idp:") == {
        (f"cognito-idp:{action}", f"<{pool_id}.Arn>")
        for action in (
            "AdminDisableUser",
            "AdminEnableUser",
            "AdminUserGlobalSignOut",
            "AdminGetUser",
            "AdminDeleteUser",
        )
    }


def test_trading_api_has_no_key_or_user_administration(dev: Synth) -> None:
    fn_id = _api_function_id(dev, "trading_api")
    assert _allowed(dev, fn_id, "apigateway:") == set()
    assert _allowed(dev, fn_id, "cognito-idp:") == set()


def test_table_index_permissions_name_the_catalogue_indexes(dev: Synth) -> None:
    fn_id, _ = _function(dev, dev.catalogue.trading_api)
    resources_ = [
        statement["Resource"]
        for statement in _statements(dev, fn_id)
        if "dynamodb:Query" in statement["Action"]
    ]
    rendered = repr(resources_)
    for index in dev.catalogue.state_table.indexes:
        assert f"/index/{index.name}" in rendered
    assert "/index/*" not in rendered


def test_authorizer_reads_but_never_writes(dev: Synth) -> None:
    fn_id, props = _function(dev, dev.catalogue.authorizer)
    table_id = _table_id(dev)
    assert _targets(dev, fn_id, "dynamodb:GetItem") == {table_id}
    assert _targets(dev, fn_id, "dynamodb:PutItem") == set()
    assert _targets(dev, fn_id, "sqs:SendMessage") == set()
    assert _allowed(dev, fn_id, "apigateway:") == set()
    assert _allowed(dev, fn_id, "cognito-idp:") == set()
    assert _targets(dev, fn_id, "kms:Encrypt") == set()
    assert set(props["Environment"]["Variables"]) >= {"NIJA_USER_POOL_ID", "NIJA_USER_POOL_CLIENT_ID"}


def test_user_pool_policy_and_mfa(dev: Synth) -> None:
    dev.service.resource_count_is("AWS::Cognito::UserPool", 1)
    dev.service.has_resource_properties(
        "AWS::Cognito::UserPool",
        {
            "UserPoolName": dev.catalogue.user_pool_name,
            "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": ["email"],
            "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
            "Policies": {
                "PasswordPolicy": Match.object_like(
                    {
                        "MinimumLength": 12,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                    }
                )
            },
            "MfaConfiguration": "OPTIONAL",
            "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],  # TOTP only, no SMS
            "VerificationMessageTemplate": Match.object_like({"DefaultEmailOption": "CONFIRM_WITH_CODE"}),
        },
    )


def test_admins_group(dev: Synth) -> None:
    pool_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPool")))
    dev.service.has_resource_properties(
        "AWS::Cognito::UserPoolGroup",
        {"GroupName": dev.catalogue.admins_group, "UserPoolId": {"Ref": pool_id}},
    )


def test_mobile_client_flows_and_token_lifetimes(dev: Synth) -> None:
    (client,) = resources(dev.service_json, "AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["ClientName"] == dev.catalogue.user_pool_client_name
    assert sorted(props["ExplicitAuthFlows"]) == ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"]
    assert props["GenerateSecret"] is False
    assert props["PreventUserExistenceErrors"] == "ENABLED"
    assert props["EnableTokenRevocation"] is True  # POST /v1/auth/logout revokes a refresh token
    minutes = {"minutes": 1, "hours": 60, "days": 24 * 60}
    units, cat = props["TokenValidityUnits"], dev.catalogue  # the local pool reads the same figures
    assert props["AccessTokenValidity"] * minutes[units["AccessToken"]] == cat.access_token_minutes == 15
    assert props["IdTokenValidity"] * minutes[units["IdToken"]] == cat.id_token_minutes == 15
    assert props["RefreshTokenValidity"] * minutes[units["RefreshToken"]] == cat.refresh_token_days * 24 * 60
    assert cat.refresh_token_days == 30


def test_prod_user_pool_is_retained(prod: Synth) -> None:
    (pool,) = resources(prod.service_json, "AWS::Cognito::UserPool").values()
    assert pool["DeletionPolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"


def test_outputs(dev: Synth) -> None:
    outputs = dev.service_json["Outputs"]
    pool_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPool")))
    client_id = next(iter(resources(dev.service_json, "AWS::Cognito::UserPoolClient")))
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId", "WebSocketUrl"} <= set(outputs)
    assert outputs["UserPoolId"]["Value"] == {"Ref": pool_id}
    assert outputs["UserPoolClientId"]["Value"] == {"Ref": client_id}
    assert "execute-api" in repr(outputs["ApiUrl"]["Value"])


def _data_refs(synth: Synth, value: Any) -> set[str]:
    """Data-stack logical ids referenced anywhere in ``value`` (whole ARNs and derived ones alike)."""
    if isinstance(value, dict):
        if "Fn::GetStackOutput" in value or "Fn::ImportValue" in value:
            return {data_target(synth.data_json, value)}
        return set().union(set(), *(_data_refs(synth, v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(_data_refs(synth, v) for v in value))
    return set()


def _audit_grants(synth: Synth, fn_id: str) -> set[tuple[str, bool]]:
    """(action, on an index) pairs the function is allowed on the audit table or its indexes."""
    audit_id = _table_id(synth, "audit_table")
    found: set[tuple[str, bool]] = set()
    for statement in _statements(synth, fn_id):
        arns = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for arn in arns:
            if audit_id in _data_refs(synth, arn):
                assert statement["Effect"] == "Allow"
                found |= {(action, "/index/" in render(arn)) for action in actions}
    return found


def test_only_the_authorizer_writes_no_audit_log_and_writers_only_put(dev: Synth) -> None:
    """Sign-ups, logins, orders, admin actions, vault stores and vault reads are audited; the authorizer
    only reads. A writer may PutItem and Query the table (the chain's head it links after), nothing
    else, no index; admin_api also searches and verifies (Query on the indexes, which hold keys, and
    GetItem, BatchGetItem and Query of the records on the table), and the anchoring job only searches
    (the records appended since its last anchor)."""
    cat = dev.catalogue
    # The realtime and stream processor never touch it; the anchoring job reads it only.
    readers_only = (cat.authorizer, cat.realtime, cat.stream_processor, cat.audit_anchor)
    writers = {_function(dev, d)[0] for d in _functions(dev) if d not in readers_only}
    admin_id = _api_function_id(dev, "admin_api")
    anchor_id = _function(dev, cat.audit_anchor)[0]
    append = {("dynamodb:PutItem", False), ("dynamodb:Query", False)}
    search = {("dynamodb:GetItem", False), ("dynamodb:BatchGetItem", False), ("dynamodb:Query", False)}
    search |= {("dynamodb:Query", True)}
    for definition in _functions(dev):
        fn_id, _ = _function(dev, definition)
        expected = append if fn_id in writers else set()
        if fn_id in (admin_id, anchor_id):
            expected = expected | search
        assert _audit_grants(dev, fn_id) == expected, definition.name


def test_no_function_may_update_or_delete_audit_items(dev: Synth) -> None:
    """No role holds UpdateItem, DeleteItem, BatchWriteItem, PartiQL writes or a wildcard on the
    audit table (the table's own policy also denies them to everyone: test_data_stack)."""
    for definition in _functions(dev):
        fn_id, _ = _function(dev, definition)
        actions = {action for action, _ in _audit_grants(dev, fn_id)}
        reads = {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem"}
        assert actions <= {"dynamodb:PutItem", *reads}, definition.name
        assert not any("*" in a or "Update" in a or "Delete" in a or "BatchWrite" in a for a in actions)


def test_only_the_admin_api_knows_the_stages_admin_networks(dev: Synth, prod: Synth) -> None:
    """`make deploy ADMIN_IPS=…` (-c admin_ips): the admin API answers those networks only; a stage
    that names none answers any (its admins still need TOTP: nija.logic.admin_access)."""
    for synth, expected in ((prod, "203.0.113.0/24,198.51.100.7/32"), (dev, None)):
        for fn in resources(synth.service_json, "AWS::Lambda::Function").values():
            env = fn["Properties"]["Environment"]["Variables"]
            is_admin = fn["Properties"]["FunctionName"] == synth.catalogue.admin_api.name
            assert env.get("NIJA_ADMIN_ALLOWED_IPS") == (expected if is_admin else None)
