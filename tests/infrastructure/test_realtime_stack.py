"""The WebSocket API and the stream processor: routes, stage logging, the stream event source and
its filters, and the processor's rights (this API's connections only)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_synth import Synth, logical_id, resources

from nija.adapters.dynamo.stream_records import STREAM_SORT_KEY_PREFIXES, WATCHED_SORT_KEY_PREFIXES

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _function_id(synth: Synth, name: str) -> str:
    return logical_id(synth.service_json, "AWS::Lambda::Function", FunctionName=name)


def _statements(synth: Synth, fn_id: str) -> list[dict[str, Any]]:
    role = synth.service_json["Resources"][fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    return [
        s
        for policy in resources(synth.service_json, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]


def test_the_websocket_api_routes_to_the_realtime_function(dev: Synth) -> None:
    t = dev.service_json
    api_id = logical_id(t, "AWS::ApiGatewayV2::Api", Name=dev.catalogue.websocket_api_name)
    assert t["Resources"][api_id]["Properties"]["ProtocolType"] == "WEBSOCKET"
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(t, "AWS::ApiGatewayV2::Route").values()
    }
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    fn_id = _function_id(dev, dev.catalogue.realtime.name)
    for integration in resources(t, "AWS::ApiGatewayV2::Integration").values():
        assert {"Fn::GetAtt": [fn_id, "Arn"]} in integration["Properties"]["IntegrationUri"]["Fn::Join"][1]
    assert routes["$default"]["RouteResponseSelectionExpression"] == "$default"  # ping gets its pong


def test_the_stage_logs_access_and_never_frames(dev: Synth) -> None:
    [stage] = [
        s["Properties"]
        for s in resources(dev.service_json, "AWS::ApiGatewayV2::Stage").values()
        if s["Properties"]["StageName"] == dev.catalogue.websocket_stage
    ]
    assert stage["AccessLogSettings"]["DestinationArn"]
    assert "$context.connectionId" in stage["AccessLogSettings"]["Format"]
    assert stage["DefaultRouteSettings"]["DataTraceEnabled"] is False
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0


def test_the_stream_processor_reads_the_state_tables_stream_filtered(dev: Synth) -> None:
    fn_id = _function_id(dev, dev.catalogue.stream_processor.name)
    [mapping] = [
        m["Properties"]
        for m in resources(dev.service_json, "AWS::Lambda::EventSourceMapping").values()
        if m["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert "StreamArn" in json.dumps(mapping["EventSourceArn"])
    assert mapping["StartingPosition"] == "LATEST"
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] >= 1
    [pattern] = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern["dynamodb"]["Keys"]["sk"]["S"] == [
        {"prefix": prefix} for prefix in STREAM_SORT_KEY_PREFIXES
    ]
    assert pattern["dynamodb"]["Keys"]["pk"]["S"] == [{"prefix": "USER#"}]
    assert set(WATCHED_SORT_KEY_PREFIXES) < set(STREAM_SORT_KEY_PREFIXES)  # user events, then series


def test_the_data_stack_state_table_has_a_stream_with_both_images(dev: Synth) -> None:
    [table] = [
        r["Properties"]
        for r in resources(dev.data_json, "AWS::DynamoDB::GlobalTable").values()
        if r["Properties"]["TableName"] == dev.catalogue.state_table.name
    ]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"


def test_only_the_stream_processor_may_post_to_or_close_this_apis_connections(dev: Synth) -> None:
    t = dev.service_json
    api_id = logical_id(t, "AWS::ApiGatewayV2::Api", Name=dev.catalogue.websocket_api_name)
    fn_id = _function_id(dev, dev.catalogue.stream_processor.name)
    [manage] = [s for s in _statements(dev, fn_id) if "execute-api" in json.dumps(s["Action"])]
    assert manage["Action"] == "execute-api:ManageConnections"
    verbs = set()
    for resource in manage["Resource"]:  # POST and DELETE, not GET: nothing reads a connection's details
        parts = resource["Fn::Join"][1]
        assert {"Ref": api_id} in parts
        stage, verb, path = parts[-1].strip("/").split("/", 2)
        assert (stage, path) == (dev.catalogue.websocket_stage, "@connections/*")
        verbs.add(verb)
    assert verbs == {"POST", "DELETE"}
    holders = [
        k
        for k, fn in resources(t, "AWS::Lambda::Function").items()
        if any("execute-api:ManageConnections" in json.dumps(s.get("Action")) for s in _statements(dev, k))
        and fn
    ]
    assert holders == [fn_id]


def test_the_stream_processor_knows_where_to_push(dev: Synth) -> None:
    fn_id = _function_id(dev, dev.catalogue.stream_processor.name)
    env = dev.service_json["Resources"][fn_id]["Properties"]["Environment"]["Variables"]
    assert "NIJA_WEBSOCKET_ENDPOINT" in env
    realtime = dev.service_json["Resources"][_function_id(dev, dev.catalogue.realtime.name)]
    assert {"NIJA_USER_POOL_ID", "NIJA_USER_POOL_CLIENT_ID"} <= set(
        realtime["Properties"]["Environment"]["Variables"]
    )
