"""The operations view in the service stack: the alarm topic, each alarm's metric, threshold and action,
and the dashboard."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cdk_synth import Synth, data_output, logical_id, resources

from infra_cdk.constructs.observability import (
    API_P99_MS,
    API_THROTTLED,
    API_THROTTLED_THRESHOLD,
    EXECUTOR_ERROR_RATE_PERCENT,
)
from nija.catalogue import BROKERS
from nija.ports.telemetry import BREAKER_OPEN, NAMESPACE, ORDERS_FILLED, ORDERS_PLACED, ORDERS_REFUSED

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


def _topic(synth: Synth) -> str:
    return logical_id(synth.service_json, "AWS::SNS::Topic", TopicName=f"{synth.catalogue.prefix}-alarms")


def _alarm(synth: Synth, name: str) -> dict[str, Any]:
    alarm_id = logical_id(synth.service_json, "AWS::CloudWatch::Alarm", AlarmName=name)
    props: dict[str, Any] = synth.service_json["Resources"][alarm_id]["Properties"]
    topic = {"Ref": _topic(synth)}
    assert props["AlarmActions"] == [topic] and props["OKActions"] == [topic], name
    return props


def _dimensions(props: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}


def test_the_topic_is_encrypted_and_tls_only_and_its_arn_an_output(dev: Synth) -> None:
    topic_id = _topic(dev)
    topic = dev.service_json["Resources"][topic_id]["Properties"]
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    key = dev.service_json["Resources"][key_id]["Properties"]
    assert key["EnableKeyRotation"] is True
    cloudwatch = [
        s for s in key["KeyPolicy"]["Statement"] if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in resources(dev.service_json, "AWS::SNS::TopicPolicy").values()
        if {"Ref": topic_id} in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )
    assert dev.service_json["Outputs"]["AlarmTopicArn"]["Value"] == {"Ref": topic_id}


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_dlq_depth_above_zero(dev: Synth, broker: str) -> None:
    props = _alarm(dev, f"{dev.catalogue.prefix}-{broker}-dlq-not-empty")
    assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Period"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "Maximum",
        60,
    )
    # The data stack's DLQ, through a cross-stack reference to its name.
    dlq_id = logical_id(dev.data_json, "AWS::SQS::Queue", QueueName=dev.catalogue.queue(broker).dlq_name)
    assert data_output(dev.data_json, _dimensions(props)["QueueName"]) == {
        "Fn::GetAtt": [dlq_id, "QueueName"]
    }
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_a_failed_scan_lands_on_its_queue_and_alarms(dev: Synth, broker: str) -> None:
    """The scan's asynchronous invocations (the schedule's and each shard's) retry twice, then go to
    an encrypted failure queue; a message there fires the alarm."""
    queue_name = f"{dev.catalogue.prefix}-scan-{broker}-failed"
    queue_id = logical_id(dev.service_json, "AWS::SQS::Queue", QueueName=queue_name)
    queue = dev.service_json["Resources"][queue_id]["Properties"]
    assert "KmsMasterKeyId" in queue and queue["MessageRetentionPeriod"] == 14 * 24 * 3600
    fn_id = logical_id(
        dev.service_json, "AWS::Lambda::Function", FunctionName=dev.catalogue.strategy_scan(broker).name
    )
    (config,) = [
        c["Properties"]
        for c in resources(dev.service_json, "AWS::Lambda::EventInvokeConfig").values()
        if c["Properties"]["FunctionName"] == {"Ref": fn_id}
    ]
    assert config["MaximumRetryAttempts"] == 2
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {"Fn::GetAtt": [queue_id, "Arn"]}
    props = _alarm(dev, f"{dev.catalogue.prefix}-{broker}-scan-failed")
    assert (props["MetricName"], props["Threshold"]) == ("ApproximateNumberOfMessagesVisible", 0)
    assert _dimensions(props)["QueueName"] == {"Fn::GetAtt": [queue_id, "QueueName"]}


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_error_rate(dev: Synth, broker: str) -> None:
    props = _alarm(dev, f"{dev.catalogue.prefix}-{broker}-executor-error-rate")
    assert (props["Threshold"], props["ComparisonOperator"]) == (
        EXECUTOR_ERROR_RATE_PERCENT,
        "GreaterThanThreshold",
    )
    by_id = {m["Id"]: m for m in props["Metrics"]}
    errors, invocations = f"errors_{broker}", f"invocations_{broker}"
    assert by_id["expr_1"]["Expression"] == f"IF({invocations} > 0, 100 * {errors} / {invocations}, 0)"
    fn_id = logical_id(
        dev.service_json, "AWS::Lambda::Function", FunctionName=dev.catalogue.executor(broker).name
    )
    for metric_id, name in ((errors, "Errors"), (invocations, "Invocations")):
        stat = by_id[metric_id]["MetricStat"]
        assert (stat["Metric"]["MetricName"], stat["Stat"], stat["Period"]) == (name, "Sum", 300)
        assert stat["Metric"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": fn_id}}]
        assert by_id[metric_id]["ReturnData"] is False


def test_api_p99_latency(dev: Synth) -> None:
    props = _alarm(dev, f"{dev.catalogue.prefix}-api-latency-p99")
    assert (props["Namespace"], props["MetricName"], props["ExtendedStatistic"], props["Period"]) == (
        "AWS/ApiGateway",
        "Latency",
        "p99",
        300,
    )
    dims = _dimensions(props)
    assert dims["ApiName"] == dev.catalogue.rest_api_name and "Stage" in dims
    assert (props["Threshold"], props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (API_P99_MS, 3, 2)


def test_every_function_has_a_throttle_alarm(dev: Synth) -> None:
    functions = resources(dev.service_json, "AWS::Lambda::Function")
    nija = {
        k: r
        for k, r in functions.items()
        if str(r["Properties"].get("FunctionName", "")).startswith(dev.catalogue.prefix)
    }
    assert len(nija) >= 2 * len(BROKERS) + 4
    for fn_id, fn in nija.items():
        props = _alarm(dev, f"{fn['Properties']['FunctionName']}-throttled")
        assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
            "AWS/Lambda",
            "Throttles",
            "Sum",
        )
        assert _dimensions(props) == {"FunctionName": {"Ref": fn_id}}
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")


def test_api_429s_are_counted_from_the_access_log_and_alarmed(dev: Synth) -> None:
    (flt,) = [
        f["Properties"]
        for f in resources(dev.service_json, "AWS::Logs::MetricFilter").values()
        if f["Properties"]["MetricTransformations"][0]["MetricName"] == API_THROTTLED
    ]
    assert flt["FilterPattern"] == '{ $.status = "429" }'
    transform = flt["MetricTransformations"][0]
    assert (transform["MetricNamespace"], transform["MetricValue"]) == (NAMESPACE, "1")
    props = _alarm(dev, f"{dev.catalogue.prefix}-api-throttled")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (NAMESPACE, API_THROTTLED, "Sum")
    assert props["Threshold"] == API_THROTTLED_THRESHOLD


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_an_open_breaker(dev: Synth, broker: str) -> None:
    props = _alarm(dev, f"{dev.catalogue.prefix}-{broker}-breaker-open")
    assert (props["Namespace"], props["MetricName"], props["Statistic"], props["Period"]) == (
        NAMESPACE,
        BREAKER_OPEN,
        "Maximum",
        60,
    )
    # The dimensions the executor's EMF carries: its broker, and Powertools' service (the function key).
    assert _dimensions(props) == {"broker": broker, "service": dev.catalogue.executor(broker).key}
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["TreatMissingData"] == "ignore"  # stays in alarm until the breaker reports it closed


def test_the_dashboard_shows_the_alarms_and_the_business_metrics(dev: Synth) -> None:
    (dashboard,) = resources(dev.service_json, "AWS::CloudWatch::Dashboard").values()
    assert dashboard["Properties"]["DashboardName"] == f"{dev.catalogue.prefix}-operations"
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for shown in (ORDERS_PLACED, ORDERS_FILLED, ORDERS_REFUSED, "ScanDuration", BREAKER_OPEN, "Latency"):
        assert shown in body, shown
    assert "reason_code" in body
