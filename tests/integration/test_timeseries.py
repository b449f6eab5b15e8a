"""The TimeSeries port: Timestream writes on moto in batches of at most 100, nothing when it is off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from members import member

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.timestream import NoTimeSeries, TimestreamSeries, record
from nija.config import get_settings, reset_settings
from nija.domain.models import BrokerName, Side, Trade
from nija.logic.telemetry import equity_point, fill_points, latency_point
from tests.kit import an_executor

pytestmark = pytest.mark.members("u1")

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def trade(n: int) -> Trade:
    return Trade(
        user_id="u1",
        broker=BrokerName.PAPER,
        order_id=f"o{n}",
        trade_id=f"t{n}",
        symbol="BTC/USD",
        side=Side.SELL,
        quantity=Decimal("0.5"),
        price=Decimal("101.25"),
        fee=Decimal("0.1"),
        realized_pnl=Decimal("3.5"),
        timestamp=AT + timedelta(seconds=n),
    )


def test_events_become_points() -> None:
    price, qty, pnl = fill_points(trade(0))
    assert (price.measure, price.value, qty.value, pnl.value) == (
        "fill_price",
        Decimal("101.25"),
        Decimal("0.5"),
        Decimal("3.5"),
    )
    assert price.dimensions == {"user_id": "u1", "broker": "paper", "symbol": "BTC/USD", "side": "sell"}
    assert record(price) == {
        "Dimensions": [
            {"Name": "broker", "Value": "paper"},
            {"Name": "side", "Value": "sell"},
            {"Name": "symbol", "Value": "BTC/USD"},
            {"Name": "user_id", "Value": "u1"},
        ],
        "MeasureName": "fill_price",
        "MeasureValue": "101.25",
        "MeasureValueType": "DOUBLE",
        "Time": str(int(AT.timestamp() * 1000)),
        "TimeUnit": "MILLISECONDS",
    }
    assert equity_point("u1", Decimal("1000"), AT).dimensions == {"user_id": "u1"}
    latency = latency_point("fill_to_push", 12.34567, AT, user_id="u1")
    assert (latency.value, latency.dimensions) == (
        Decimal("12.346"),
        {"stage": "fill_to_push", "user_id": "u1"},
    )


def test_off_by_default(aws: None) -> None:
    assert get_settings().timestream_enabled is False
    assert isinstance(wiring.timeseries(), NoTimeSeries)
    assert wiring.timeseries().write(fill_points(trade(0))) == 0


def test_writes_in_batches_of_100(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIJA_TIMESTREAM_ENABLED", "true")
    reset_settings()
    catalogue = get_settings().catalogue
    ts = client("timestream-write")
    ts.create_database(DatabaseName=catalogue.timestream_database)
    ts.create_table(DatabaseName=catalogue.timestream_database, TableName=catalogue.timestream_table)
    series = wiring.timeseries()
    assert isinstance(series, TimestreamSeries)

    calls: list[int] = []

    def count(params: dict[str, Any], **_: Any) -> None:
        calls.append(len(params["Records"]))

    ts.meta.events.register("provide-client-params.timestream-write.WriteRecords", count)
    points = [p for n in range(70) for p in fill_points(trade(n))]  # 210 points
    assert series.write(points) == 210
    assert calls == [100, 100, 10]
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.timestreamwrite.models import timestreamwrite_backends

    backend = timestreamwrite_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    table = backend.databases[catalogue.timestream_database].tables[catalogue.timestream_table]
    assert len(table.records) == 210


def test_the_stream_processor_writes_fills_latency_and_equity(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An order filled by the executor: the stream processor, fed the state table's stream as its
    event source is, writes the fill's points, its fill-to-push latency and the equity snapshot the
    executor's valuation made, in one write for the batch."""
    import threading

    from nija.adapters.dynamo.stream_records import streamed
    from nija.domain.messages import PlaceOrder
    from nija.domain.models import Principal
    from nija.local import identity
    from nija.local.lambda_runtime import load_function
    from nija.local.pollers import FunctionInstance
    from nija.local.streams import StreamPoller
    from nija.logic import orders
    from nija.logic.orders import OrderRequest

    monkeypatch.setenv("NIJA_TIMESTREAM_ENABLED", "true")
    reset_settings()
    catalogue = get_settings().catalogue
    ts = client("timestream-write")
    ts.create_database(DatabaseName=catalogue.timestream_database)
    ts.create_table(DatabaseName=catalogue.timestream_database, TableName=catalogue.timestream_table)
    writes: list[int] = []
    ts.meta.events.register(
        "provide-client-params.timestream-write.WriteRecords",
        lambda params, **_: writes.append(len(params["Records"])),
    )

    user = "5eed0000-0000-4000-8000-00000000ts01"
    member(user)
    paper = wiring.broker(BrokerName.PAPER)
    paper.seed_balances(user, {"USD": Decimal("100000")})  # type: ignore[attr-defined]
    identity.connect_paper(user)
    request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side=Side.BUY, quantity=Decimal("0.01"))
    placed = orders.place_order(
        Principal(user_id=user), request, "ts-1", wiring.orders(), wiring.order_queue()
    )
    executor = an_executor(paper, guard=wiring.guard())
    assert executor.place(PlaceOrder(intent=placed.to_intent())).status.value == "filled"

    processor = catalogue.stream_processor
    function = FunctionInstance(
        processor.name,
        load_function("stream_processor", "ts-test").handler,
        processor.timeout_s,
        get_settings().region,
    )
    StreamPoller(catalogue.state_table.name, function, threading.Event(), keep=streamed, retries=0).drain()

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.timestreamwrite.models import timestreamwrite_backends

    backend = timestreamwrite_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    records = backend.databases[catalogue.timestream_database].tables[catalogue.timestream_table].records
    measures = sorted(r["MeasureName"] for r in records)
    assert measures == ["equity", "fill_price", "fill_quantity", "latency_ms", "realized_pnl"]
    assert sum(writes) == len(records) and all(n <= 100 for n in writes)
    price = next(r for r in records if r["MeasureName"] == "fill_price")
    assert {d["Name"]: d["Value"] for d in price["Dimensions"]} == {
        "user_id": user,
        "broker": "paper",
        "symbol": "BTC/USD",
        "side": "buy",
    }
    latency = next(r for r in records if r["MeasureName"] == "latency_ms")
    assert {"Name": "stage", "Value": "fill_to_push"} in latency["Dimensions"] and float(
        latency["MeasureValue"]
    ) >= 0
