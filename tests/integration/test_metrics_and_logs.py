"""Powertools in the functions, on moto: the business metrics as EMF blobs on stdout, and user_id and
correlation_id on every log line of one invocation."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from test_executor_handler import ALICE, deliver, fund, place, receive

from nija import wiring
from nija.domain.errors import BrokerTemporaryError
from nija.domain.messages import parse_order_message
from nija.domain.switches import BreakerState
from nija.local.lambda_runtime import LambdaContext, load_event, load_function
from nija.logic.controls import BREAKER_THRESHOLD, Controls
from nija.observability import scan_correlation_id
from tests.kit import an_executor, service_log

pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(ALICE),
]

Lines = list[dict[str, Any]]


@pytest.fixture(autouse=True)
def logged() -> Iterator[io.StringIO]:
    """Every function here logs through the Powertools handler of service "nija-test"; a second handler
    with the same formatter (so the same appended keys) writes this test's lines here."""
    with service_log() as lines:
        yield lines


def output(capsys: pytest.CaptureFixture[str], logged: io.StringIO) -> tuple[Lines, Lines]:
    """(log lines, EMF blobs) since the last read."""
    lines = [json.loads(line) for line in logged.getvalue().splitlines()]
    logged.seek(0)
    logged.truncate()
    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    return lines, blobs


def metric(blobs: Lines, name: str) -> list[tuple[list[float], dict[str, str]]]:
    """Each blob's values of ``name``, with the blob's dimensions."""
    found = []
    for blob in blobs:
        if name in blob:
            (declared,) = blob["_aws"]["CloudWatchMetrics"]
            assert declared["Namespace"] == "NIJA"
            assert {m["Name"] for m in declared["Metrics"]} >= {name}
            (dimensions,) = declared["Dimensions"]
            found.append((blob[name], {d: blob[d] for d in dimensions}))
    return found


def assert_keys_on_every_line(lines: Lines, user_id: str, correlation_id: str | None = None) -> None:
    assert lines, "nothing was logged"
    for line in lines:
        assert line["user_id"] == user_id, line
        assert line["correlation_id"], line
        if correlation_id is not None:
            assert line["correlation_id"] == correlation_id, line


def test_executor_emits_filled_and_refused_by_code_and_keys_every_line(
    executor: Callable[[str], Any], capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    fund(ALICE, "100000")
    filled = place(ALICE, "fills")  # 0.01 BTC: well within the funds
    too_big = place(ALICE, "too-big", quantity="100")
    _, placed = output(capsys, logged)
    assert metric(placed, "OrdersPlaced") == [([1.0], {"broker": "paper", "service": "nija-test"})] * 2

    for message in receive():  # one invocation per message: the lines of each are one user's, one intent's
        assert deliver(executor("paper"), [message]) == {"batchItemFailures": []}
        lines, blobs = output(capsys, logged)
        intent = json.loads(message["Body"])["intent"]["intent_id"]
        assert_keys_on_every_line(lines, ALICE, intent)
        if intent == filled.order_id:
            assert metric(blobs, "OrdersFilled") == [([1.0], {"broker": "paper", "service": "nija-test"})]
            assert metric(blobs, "OrdersRefused") == []
        else:
            assert intent == too_big.order_id
            assert metric(blobs, "OrdersRefused") == [
                ([1.0], {"broker": "paper", "reason_code": "insufficient_capital", "service": "nija-test"})
            ]
            assert metric(blobs, "OrdersFilled") == []


def test_a_breaker_reports_open_while_it_holds_calls_back_and_closed_after_a_probe(
    aws: None, capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    now = [datetime(2026, 11, 25, 12, tzinfo=UTC)]
    controls = Controls(wiring.controls().store, clock=lambda: now[0])
    for _ in range(BREAKER_THRESHOLD - 1):
        controls.before_call("paper")
        controls.after_call("paper", ok=False)
    fund(ALICE)
    run = an_executor(
        guard=wiring.guard(),  # reads the breaker as the controls store it
        breakers=controls,
        telemetry=wiring.telemetry(),
    )
    output(capsys, logged)

    # The executor's own call fails once more: the breaker opens (1).
    breaker = controls.before_call("paper")
    run._broker_result(place(ALICE, "b-1"), breaker, ok=False)
    assert controls.store.breaker("paper").state is BreakerState.OPEN
    _, blobs = output(capsys, logged)
    assert metric(blobs, "BreakerOpen") == [([1.0], {"broker": "paper", "service": "nija-test"})]

    # While it is open, each order held back reports it again (the alarm keeps its state meanwhile).
    message = receive()[0]
    with pytest.raises(BrokerTemporaryError):
        run.handle(parse_order_message(message["Body"]))
    _, blobs = output(capsys, logged)
    assert metric(blobs, "BreakerOpen") == [([1.0], {"broker": "paper", "service": "nija-test"})]

    # After the cooldown the probe succeeds: closed (0).
    now[0] += controls.cooldown + timedelta(seconds=1)
    probe = controls.before_call("paper")
    assert probe.state is BreakerState.HALF_OPEN
    run._broker_result(place(ALICE, "b-2"), probe, ok=True)
    _, blobs = output(capsys, logged)
    assert metric(blobs, "BreakerOpen") == [([0.0], {"broker": "paper", "service": "nija-test"})]


def test_trading_api_counts_a_placed_order_once_and_keys_every_line(
    trading_api: Any, capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    from nija.local import identity

    identity.connect_paper(ALICE)
    event = load_event("trading_api/orders_create", user_id=ALICE, idempotency_key="obs-1")
    request_id = event["requestContext"]["requestId"]
    output(capsys, logged)
    assert trading_api.invoke(event).status == 202
    lines, blobs = output(capsys, logged)
    assert_keys_on_every_line(lines, ALICE, request_id)
    assert metric(blobs, "OrdersPlaced") == [([1.0], {"broker": "paper", "service": "nija-test"})]

    assert trading_api.invoke(event).status == 202  # the same Idempotency-Key: the same order
    lines, blobs = output(capsys, logged)
    assert_keys_on_every_line(lines, ALICE, request_id)
    assert metric(blobs, "OrdersPlaced") == []


def test_a_scan_shard_reports_its_duration_and_keys_every_line(
    aws: None, capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    handler = load_function("strategy_scan", "observability").handler
    output(capsys, logged)
    result = handler(load_event("strategy_scan/shard"), LambdaContext("nija-test-scan-paper"))
    lines, blobs = output(capsys, logged)
    assert_keys_on_every_line(lines, "system")
    # broker, shard and the scan's tick (minutes floored to the 5-minute schedule)
    expected = scan_correlation_id("paper", result["shard"]).rsplit(":", 2)[
        0
    ]  # scan:paper:<shard>:<date>T<hh>
    assert all(line["correlation_id"].startswith(expected) for line in lines), expected
    ((value,), dimensions) = metric(blobs, "ScanDuration")[0]
    assert value >= 0 and dimensions == {"broker": "paper", "service": "nija-test"}
    (declared,) = next(b for b in blobs if "ScanDuration" in b)["_aws"]["CloudWatchMetrics"]
    assert declared["Metrics"] == [{"Name": "ScanDuration", "Unit": "Milliseconds"}]


def test_the_realtime_function_counts_refused_connections(
    aws: None, capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    fn = load_function("realtime", "metrics")
    event = load_event("realtime/connect_no_token", connection_id="conn-metrics-1")
    reply = fn.handler(event, LambdaContext("nija-test-realtime"))
    assert reply["statusCode"] == 401
    lines, blobs = output(capsys, logged)
    assert metric(blobs, "WebSocketRefused") == [([1.0], {"status": "401", "service": "nija-test"})]
    assert lines and all(line["correlation_id"] and line["user_id"] == "anonymous" for line in lines)


def test_a_scan_shard_counts_the_users_it_skipped_by_reason(
    aws: None, capsys: pytest.CaptureFixture[str], logged: io.StringIO
) -> None:
    from members import member

    from nija.domain.risk import TradingMode
    from nija.domain.settings import StrategySettings, scan_shard
    from nija.domain.switches import SwitchScope
    from nija.local import identity

    shard = load_event("strategy_scan/shard")["shard"]
    halted = next(
        u for u in (f"{n:08d}-0000-4000-8000-0000000005c4" for n in range(200)) if scan_shard(u) == shard
    )
    member(halted)
    identity.connect_paper(halted)
    settings = StrategySettings(enabled=True, brokers=("paper",), symbols=("BTC/USD",), timeframe="5m")  # type: ignore[arg-type]
    wiring.settings_store().put(halted, settings)
    wiring.controls().set_switch(halted, SwitchScope.USER, halted, True, TradingMode.HALTED)
    handler = load_function("strategy_scan", "observability-skips").handler
    output(capsys, logged)
    result = handler(load_event("strategy_scan/shard"), LambdaContext("nija-test-scan-paper"))
    _, blobs = output(capsys, logged)
    assert result["skipped"] == {"halted_or_disabled": 1}
    assert metric(blobs, "ScanUsersSkipped") == [
        ([1.0], {"broker": "paper", "reason": "halted_or_disabled", "service": "nija-test"})
    ]
