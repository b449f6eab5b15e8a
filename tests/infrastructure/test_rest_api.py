"""The REST API: routes and their functions, who may call them, API keys, tier usage plans, the stage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_synth import Synth, logical_id, render, resources

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

PUBLIC, USER = "NONE", "CUSTOM"
DASHBOARD, TRADING, ADMIN = "dashboard_api", "trading_api", "admin_api"

# (method, path) -> (function, authorization). Every CUSTOM route needs the user's API key; NONE ones don't.
ROUTES = {
    ("GET", "/health"): (TRADING, PUBLIC),
    ("POST", "/v1/auth/signup"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/confirm"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/login"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/refresh"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/mfa/verify"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/password/forgot"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/password/reset"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/confirm/resend"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/logout"): (DASHBOARD, PUBLIC),
    ("POST", "/v1/auth/password/change"): (DASHBOARD, USER),
    ("DELETE", "/v1/auth/mfa"): (DASHBOARD, USER),
    ("POST", "/v1/auth/mfa/setup"): (DASHBOARD, USER),
    ("POST", "/v1/auth/mfa/enable"): (DASHBOARD, USER),
    ("GET", "/v1/me"): (DASHBOARD, USER),
    ("DELETE", "/v1/me"): (DASHBOARD, USER),
    ("GET", "/v1/me/export"): (DASHBOARD, USER),
    ("GET", "/v1/dashboard"): (DASHBOARD, USER),
    ("GET", "/v1/settings"): (DASHBOARD, USER),
    ("PUT", "/v1/settings"): (DASHBOARD, USER),
    ("POST", "/v1/devices"): (DASHBOARD, USER),
    ("DELETE", "/v1/devices/{token}"): (DASHBOARD, USER),
    ("ANY", "/v1/analytics/{proxy+}"): (DASHBOARD, USER),
    ("GET", "/v1/orders"): (TRADING, USER),
    ("POST", "/v1/orders"): (TRADING, USER),
    ("GET", "/v1/orders/{id}"): (TRADING, USER),
    ("DELETE", "/v1/orders/{id}"): (TRADING, USER),
    ("GET", "/v1/positions"): (TRADING, USER),
    ("GET", "/v1/trades"): (TRADING, USER),
    ("POST", "/v1/kill-switch"): (TRADING, USER),
    ("POST", "/v1/backtests"): (TRADING, USER),
    ("GET", "/v1/brokers"): (TRADING, USER),
    ("PUT", "/v1/brokers/{broker}/credentials"): (TRADING, USER),
    ("DELETE", "/v1/brokers/{broker}/credentials"): (TRADING, USER),
    ("ANY", "/admin/{proxy+}"): (ADMIN, USER),
    ("GET", "/admin/console"): (ADMIN, PUBLIC),
    ("GET", "/admin/console.js"): (ADMIN, PUBLIC),
}


def test_the_route_table_the_code_reads_is_this_one() -> None:
    """nija.api.routes: what the CDK app builds and the local stack and OpenAPI document decide from."""
    from nija.api import routes

    table = {
        (m, r.path): (r.function, PUBLIC if r.public else USER) for r in routes.ROUTES for m in r.methods
    }
    assert table == ROUTES


def _paths(template: dict[str, Any]) -> dict[str, str]:
    """Resource logical id -> full path."""
    api_resources = resources(template, "AWS::ApiGateway::Resource")

    def path(resource_id: str) -> str:
        props = api_resources[resource_id]["Properties"]
        parent = props["ParentId"]
        prefix = path(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{props['PathPart']}"

    return {rid: path(rid) for rid in api_resources}


def _methods(template: dict[str, Any], *, preflights: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) -> properties; the CORS preflights (OPTIONS mocks) only when asked for."""
    paths = _paths(template)

    def path(m: dict[str, Any]) -> str:
        resource = m["Properties"]["ResourceId"]
        return paths[resource["Ref"]] if "Ref" in resource else "/"  # the root: a GetAtt of the API

    return {
        (m["Properties"]["HttpMethod"], path(m)): m["Properties"]
        for m in resources(template, "AWS::ApiGateway::Method").values()
        if preflights or m["Properties"]["HttpMethod"] != "OPTIONS"
    }


def test_a_dev_stage_answers_preflights_for_the_expo_dev_server_only(dev: Synth, prod: Synth) -> None:
    origin = "http://localhost:8081"
    preflights = {
        route: m for route, m in _methods(dev.service_json, preflights=True).items() if route[0] == "OPTIONS"
    }
    assert {path for _, path in preflights} == {"/"} | set(_paths(dev.service_json).values())
    for route, method in preflights.items():
        assert method["AuthorizationType"] == "NONE" and not method.get("ApiKeyRequired"), route
        integration = method["Integration"]
        assert integration["Type"] == "MOCK", route
        (answer,) = integration["IntegrationResponses"]
        headers = answer["ResponseParameters"]
        assert headers["method.response.header.Access-Control-Allow-Origin"] == f"'{origin}'"
        allowed = headers["method.response.header.Access-Control-Allow-Headers"]
        assert allowed == "'Authorization,Content-Type,Idempotency-Key'"
        # Credentialed (the refresh cookie of a web client), for the one exact origin only.
        assert headers["method.response.header.Access-Control-Allow-Credentials"] == "'true'"
    # A prod stage has no web origin until its operator names one.
    assert not [route for route in _methods(prod.service_json, preflights=True) if route[0] == "OPTIONS"]


def test_gateway_refusals_name_the_web_origin_so_the_app_can_read_them(dev: Synth, prod: Synth) -> None:
    for synth, origin in ((dev, "'http://localhost:8081'"), (prod, None)):
        for response in resources(synth.service_json, "AWS::ApiGateway::GatewayResponse").values():
            headers = response["Properties"]["ResponseParameters"]
            assert headers.get("gatewayresponse.header.Access-Control-Allow-Origin") == origin
            if origin:
                assert headers["gatewayresponse.header.Access-Control-Expose-Headers"] == "'Retry-After'"
                assert headers["gatewayresponse.header.Access-Control-Allow-Credentials"] == "'true'"


def test_the_functions_name_the_same_origin(dev: Synth, prod: Synth) -> None:
    for synth, expected in ((dev, "http://localhost:8081"), (prod, None)):
        for definition in synth.catalogue.api_functions:
            (fn,) = [
                f
                for f in resources(synth.service_json, "AWS::Lambda::Function").values()
                if f["Properties"].get("FunctionName") == definition.name
            ]
            assert fn["Properties"]["Environment"]["Variables"].get("NIJA_CORS_ORIGINS") == expected


def test_a_web_origin_is_one_exact_https_origin() -> None:
    from infra_cdk.stage import settings_for

    assert settings_for("prod", web_origin="https://App.example.com/").web_origin == "https://app.example.com"
    assert settings_for("dev", web_origin="").web_origin is None
    for bad in (
        "*",
        "https://a.example.com,https://b.example.com",
        "http://app.example.com",
        "https://x.io/app",
    ):
        with pytest.raises(ValueError):
            settings_for("prod", web_origin=bad)


def test_routes_and_who_may_call_them(dev: Synth) -> None:
    methods = _methods(dev.service_json)
    assert {route: m["AuthorizationType"] for route, m in methods.items()} == {
        route: auth for route, (_, auth) in ROUTES.items()
    }


def test_exactly_the_public_routes_of_the_one_table_have_no_authorization(dev: Synth, prod: Synth) -> None:
    """nija.api.routes, which the local stack's token check and the OpenAPI document read too."""
    from nija.api import routes

    public = {(m, r.path) for r in routes.ROUTES if r.public for m in r.methods}
    assert ("POST", "/v1/auth/login") in public and ("POST", "/v1/auth/mfa/setup") not in public
    for synth in (dev, prod):
        methods = _methods(synth.service_json)
        assert {(m, r.path) for r in routes.ROUTES for m in r.methods} == set(methods)
        assert {route for route, m in methods.items() if m["AuthorizationType"] == "NONE"} == public
        assert all(m["AuthorizationType"] == "CUSTOM" for route, m in methods.items() if route not in public)


def test_no_route_needs_an_api_key_and_the_stage_has_no_usage_plan(dev: Synth, prod: Synth) -> None:
    """Tier limits are the API functions' (nija.api.ratelimit): an API key per user would cap the
    platform at API Gateway's 10,000 keys per account and Region."""
    for synth in (dev, prod):
        for route, method in _methods(synth.service_json).items():
            assert not method.get("ApiKeyRequired"), route
        (api,) = resources(synth.service_json, "AWS::ApiGateway::RestApi").values()
        assert "ApiKeySourceType" not in api["Properties"]
        assert api["Properties"]["Name"] == synth.catalogue.rest_api_name
        for kind in ("UsagePlan", "UsagePlanKey", "ApiKey"):
            assert resources(synth.service_json, f"AWS::ApiGateway::{kind}") == {}, kind


def test_every_route_proxies_to_its_function(dev: Synth) -> None:
    names = {d.key: d.name for d in dev.catalogue.api_functions}
    for route, method in _methods(dev.service_json).items():
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY", route
        uri = render(integration["Uri"])
        assert uri.endswith(f":function:{names[ROUTES[route][0]]}/invocations"), (route, uri)


def test_protected_routes_use_the_request_authorizer(dev: Synth) -> None:
    (authorizer_id,) = resources(dev.service_json, "AWS::ApiGateway::Authorizer")
    for route, method in _methods(dev.service_json).items():
        if ROUTES[route][1] == USER:
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


def test_api_gateway_may_invoke_the_api_functions_from_its_stage(dev: Synth) -> None:
    (api_id,) = resources(dev.service_json, "AWS::ApiGateway::RestApi")
    permissions = [
        r["Properties"]
        for r in resources(dev.service_json, "AWS::Lambda::Permission").values()
        if r["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    # On the functions themselves (GetAtt), so that no permission is created before its function.
    invoked = {
        p["FunctionName"]["Fn::GetAtt"][0]: render(p["SourceArn"])
        for p in permissions
        if f"<{api_id}>" in render(p["SourceArn"])  # not the WebSocket API's (test_realtime_stack)
    }
    fn_ids = {
        d.key: logical_id(dev.service_json, "AWS::Lambda::Function", FunctionName=d.name)
        for d in (*dev.catalogue.api_functions, dev.catalogue.authorizer)
    }
    assert set(invoked) == set(fn_ids.values())
    for definition in dev.catalogue.api_functions:
        assert invoked[fn_ids[definition.key]].endswith(f":<{api_id}>/dev/*/*"), definition.key
    (authorizer_id,) = resources(dev.service_json, "AWS::ApiGateway::Authorizer")
    assert invoked[fn_ids["authorizer"]].endswith(f":<{api_id}>/authorizers/<{authorizer_id}>")


def test_stage_logs_traces_and_throttles(dev: Synth) -> None:
    (stage,) = resources(dev.service_json, "AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["StageName"] == "dev"
    assert props["TracingEnabled"] is True
    assert props["AccessLogSetting"]["DestinationArn"]
    assert "$context.authorizer.user_id" in props["AccessLogSetting"]["Format"]
    assert "$context.authorizer.tier" in props["AccessLogSetting"]["Format"]
    settings = {(s["HttpMethod"], s["ResourcePath"]): s for s in props["MethodSettings"]}
    default = settings.pop(("*", "/*"))
    assert default["ThrottlingRateLimit"] > 0
    assert default["ThrottlingBurstLimit"] >= default["ThrottlingRateLimit"]
    for method_settings in (default, *settings.values()):
        assert method_settings["LoggingLevel"] == "ERROR"  # test_costs_stack: what each setting saves
        assert method_settings["MetricsEnabled"] is False
        assert method_settings["DataTraceEnabled"] is False


def test_no_route_has_a_throttle_of_its_own(dev: Synth, prod: Synth) -> None:
    """The sign-in routes no longer share one throttle that a single caller could use up for everyone:
    WAF limits each address on them (test_waf.py); the stage-wide throttle is the only one left."""
    for synth in (dev, prod):
        (stage,) = resources(synth.service_json, "AWS::ApiGateway::Stage").values()
        settings = {(s["HttpMethod"], s["ResourcePath"]) for s in stage["Properties"]["MethodSettings"]}
        assert settings == {("*", "/*")}


@pytest.mark.parametrize(
    ("response_type", "status", "code"),
    [
        ("THROTTLED", "429", "rate_limited"),
        ("UNAUTHORIZED", "401", "unauthenticated"),
        ("ACCESS_DENIED", "403", "forbidden"),
        ("MISSING_AUTHENTICATION_TOKEN", "404", "not_found"),
        ("REQUEST_TOO_LARGE", "413", "payload_too_large"),
        # Every other type (a Lambda timeout, an authorizer failure, ...), with its own status.
        ("DEFAULT_4XX", None, "bad_request"),
        ("DEFAULT_5XX", None, "internal_error"),
    ],
)
def test_gateway_refusals_use_the_api_error_shape(
    dev: Synth, response_type: str, status: str | None, code: str
) -> None:
    (response,) = [
        r["Properties"]
        for r in resources(dev.service_json, "AWS::ApiGateway::GatewayResponse").values()
        if r["Properties"]["ResponseType"] == response_type
    ]
    assert response.get("StatusCode") == status
    template = response["ResponseTemplates"]["application/json"]
    body = json.loads(template.replace("$context.error.messageString", '"Too Many Requests"'))
    assert body["error"]["code"] == code
    if status == "429":
        assert int(response["ResponseParameters"]["gatewayresponse.header.Retry-After"].strip("'")) >= 1
    assert response["ResponseParameters"]["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
    assert response["ResponseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"
    assert response["ResponseParameters"]["gatewayresponse.header.Content-Type"] == "'application/json'"


def test_every_gateway_response_says_nosniff(dev: Synth) -> None:
    responses = resources(dev.service_json, "AWS::ApiGateway::GatewayResponse").values()
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= {r["Properties"]["ResponseType"] for r in responses}
    for r in responses:
        headers = r["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'", r
        assert headers["gatewayresponse.header.Referrer-Policy"] == "'no-referrer'", r
        assert headers["gatewayresponse.header.Strict-Transport-Security"].startswith("'max-age="), r


def test_service_template_has_no_dependency_cycle(dev: Synth) -> None:
    """Functions read the plan ids, plans need the stage, the stage the methods: methods must not need functions."""
    template = dev.service_json["Resources"]

    def refs(value: Any) -> set[str]:
        if isinstance(value, dict):
            if "Ref" in value and value["Ref"] in template:
                return {value["Ref"]}
            if "Fn::GetAtt" in value and value["Fn::GetAtt"][0] in template:
                return {value["Fn::GetAtt"][0]}
            return set().union(*map(refs, value.values())) if value else set()
        if isinstance(value, list):
            return set().union(*map(refs, value)) if value else set()
        return set()

    def depends_on(resource: dict[str, Any]) -> set[str]:
        explicit = resource.get("DependsOn", [])
        return set(explicit if isinstance(explicit, list) else [explicit])

    graph = {k: refs(r.get("Properties", {})) | depends_on(r) for k, r in template.items()}
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> None:
        if node in done:
            return
        assert node not in path, " -> ".join([*path[path.index(node) :], node])
        path.append(node)
        for nxt in graph[node]:
            visit(nxt)
        path.pop()
        done.add(node)

    for node in graph:
        visit(node)
