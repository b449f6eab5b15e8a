"""The REST API: routes, which are public, the authorizer, and the stage settings."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_synth import Synth, logical_id, resources

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

ROUTES = {
    ("GET", "/health"): "NONE",
    ("ANY", "/v1/{proxy+}"): "CUSTOM",
    ("ANY", "/v1/auth/{proxy+}"): "NONE",
    ("ANY", "/v1/auth/mfa/{proxy+}"): "NONE",
    ("POST", "/v1/auth/mfa/setup"): "CUSTOM",
    ("POST", "/v1/auth/mfa/enable"): "CUSTOM",
}


def _paths(template: dict[str, Any]) -> dict[str, str]:
    """Resource logical id -> full path."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")

    def path(resource_id: str) -> str:
        props = api_resources[resource_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {rid: path(rid) for rid in api_resources}


def _methods(template: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    paths = _paths(template)
    return {
        (m["Properties"]["HttpMethod"], paths[m["Properties"]["ResourceId"]["Ref"]]): m["Properties"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
    }


def test_routes_and_who_may_call_them(dev: Synth) -> None:
    methods = _methods(dev.service_json)
    assert {route: m["AuthorizationType"] for route, m in methods.items()} == ROUTES


def test_every_route_proxies_to_trading_api(dev: Synth) -> None:
    fn_id = logical_id(dev.service_json, "AWS::Lambda::Function", FunctionName=dev.catalogue.trading_api.name)
    for route, method in _methods(dev.service_json).items():
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY", route
        assert {"Fn::GetAtt": [fn_id, "Arn"]} in integration["Uri"]["Fn::Join"][1], route


def test_protected_routes_use_the_request_authorizer(dev: Synth) -> None:
    (authorizer_id,) = resources(dev.service_json, "AWS::ApiGateway::Authorizer")
    for route, method in _methods(dev.service_json).items():
        if ROUTES[route] == "CUSTOM":
            assert method["AuthorizerId"] == {"Ref": authorizer_id}, route
        else:
            assert "AuthorizerId" not in method, route


def test_authorizer(dev: Synth) -> None:
    (authorizer,) = resources(dev.service_json, "AWS::ApiGateway::Authorizer").values()
    props = authorizer["Properties"]
    fn_id = logical_id(dev.service_json, "AWS::Lambda::Function", FunctionName=dev.catalogue.authorizer.name)
    assert props["Type"] == "REQUEST"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    assert props["AuthorizerResultTtlInSeconds"] == 60
    assert {"Fn::GetAtt": [fn_id, "Arn"]} in props["AuthorizerUri"]["Fn::Join"][1]


def test_api_gateway_may_invoke_both_functions(dev: Synth) -> None:
    invoked = {
        r["Properties"]["FunctionName"]["Fn::GetAtt"][0]
        for r in resources(dev.service_json, "AWS::Lambda::Permission").values()
        if r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    }
    expected = {
        logical_id(dev.service_json, "AWS::Lambda::Function", FunctionName=d.name)
        for d in (dev.catalogue.trading_api, dev.catalogue.authorizer)
    }
    assert invoked == expected


def test_stage_logs_traces_and_throttles(dev: Synth) -> None:
    (stage,) = resources(dev.service_json, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    assert props["AccessLogSetting"]["DestinationArn"]
    assert "$context.authorizer.user_id" in props["AccessLogSetting"]["Format"]
    (settings,) = props["MethodSettings"]
    assert settings["HttpMethod"] == "*" and settings["ResourcePath"] == "/*"
    assert settings["ThrottlingRateLimit"] > 0
    assert settings["ThrottlingBurstLimit"] >= settings["ThrottlingRateLimit"]
    assert settings["LoggingLevel"] in {"INFO", "ERROR"}
    assert settings["DataTraceEnabled"] is False
