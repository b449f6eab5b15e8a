"""POST /v1/backtests on an app with just its router and the platform's error handlers; a small ASGI
wrapper puts the authorizer context API Gateway passes into scope["aws.event"]. No AWS: the paper
broker's candles come from its deterministic feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from nija.adapters.paper.feed import PaperFeed
from nija.api.errors import install_error_handlers
from nija.api.routers import backtests
from nija.domain.candle_csv import parse_candles_csv
from nija.logic.backtests import BacktestOptions, run

SAMPLE = Path(__file__).parents[1] / "fixtures" / "candles" / "paper_btc_usd_5m.csv"
UNTIL = "2026-01-01T00:00:00Z"


class GatewayContext:
    """Sets the authorizer context from an X-Test-User header, as API Gateway (or the local verifier) does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user = dict(scope.get("headers", [])).get(b"x-test-user")
        if user:
            context = {"user_id": user.decode(), "tier": "basic", "role": "user"}
            scope["aws.event"] = {"requestContext": {"authorizer": context}}
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    app.include_router(backtests.router)
    install_error_handlers(app)
    app.add_middleware(GatewayContext)
    return TestClient(app, headers={"X-Test-User": "u-1"})


def post(client: TestClient, body: dict[str, Any]) -> tuple[int, Any]:
    r = client.post("/v1/backtests", json=body)
    return r.status_code, r.json()


def test_a_fetched_backtest_is_the_cli_s_on_the_same_candles(client: TestClient) -> None:
    status, body = post(
        client, {"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "limit": 1000, "until": UNTIL}
    )
    assert status == 200, body
    expected = run(BacktestOptions(), parse_candles_csv(SAMPLE.read_text()), "5m")
    assert body == json.loads(expected.model_dump_json())
    m = body["metrics"]
    assert m["trade_count"] == len(body["trades"]) > 0 and len(body["equity_curve"]) == body["bars"] == 1000
    assert set(m) >= {"total_return", "max_drawdown", "win_rate", "sharpe_ratio", "final_equity"}
    assert isinstance(m["total_return"], str) and Decimal(m["final_equity"]) > 0  # money as JSON strings
    trade = body["trades"][0]
    assert set(trade) >= {
        "entry_time",
        "exit_time",
        "entry_price",
        "exit_price",
        "quantity",
        "fee",
        "pnl",
        "exit_reason",
    }


def test_inline_candles_thresholds_and_costs(client: TestClient) -> None:
    candles = PaperFeed(7).candles("SOL/USD", "15m", 400, until=datetime(2026, 2, 1, tzinfo=UTC))
    body = {
        "candles": [json.loads(c.model_dump_json()) for c in candles],
        "thresholds": {"oversold": 35, "take_profit": "0.03"},
        "fee_rate": 0.002,
        "slippage_bps": "10",
        "cash": "5000",
        "position_share": "0.1",
    }
    status, out = post(client, body)
    assert status == 200, out
    assert out["timeframe"] == "15m"  # inferred from the candles
    assert out["settings"]["oversold"] == 35 and out["settings"]["take_profit"] == "0.03"
    assert out["costs"] == {
        "cash": "5000",
        "fee_rate": "0.002",
        "slippage_bps": "10",
        "position_share": "0.1",
        "quantity_decimals": 8,
    }
    assert out["metrics"]["initial_cash"] == "5000"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "thresholds": {"oversold": 120}},
            "thresholds.oversold",
        ),
        (
            {"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "thresholds": {"midline": 20}},
            "thresholds.midline",
        ),
        (
            {"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "thresholds": {"nope": 1}},
            "thresholds.nope",
        ),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "limit": 5001}, "limit"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "fee_rate": "-0.1"}, "fee_rate"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "cash": "0"}, "cash"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "slippage_bps": "abc"}, "slippage_bps"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "7m"}, "timeframe"),
        ({"broker": "paper", "symbol": "NOPE/USD", "timeframe": "5m"}, "symbol"),
        ({"broker": "nyse", "symbol": "BTC/USD", "timeframe": "5m"}, "broker"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "strategy": "macd"}, "strategy"),
        ({"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", "extra": 1}, "extra"),
        ({"symbol": "BTC/USD", "timeframe": "5m"}, "broker"),
        ({"broker": "paper", "timeframe": "5m"}, "symbol"),
        ({"broker": "paper", "symbol": "BTC/USD"}, "timeframe"),
        (
            {"candles": [{"timestamp": UNTIL, "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}]},
            "candles",
        ),
    ],
)
def test_bad_input_is_a_422_naming_the_field(client: TestClient, body: dict[str, Any], field: str) -> None:
    status, out = post(client, body)
    assert status == 422, out
    assert out["error"]["code"] == "invalid_input" and out["error"]["field"] == field, out
    assert out["error"]["message"].startswith(f"{field}:") or field in out["error"]["message"], out


def test_inline_candles_out_of_order_or_too_many(client: TestClient) -> None:
    candles = [
        json.loads(c.model_dump_json())
        for c in PaperFeed(7).candles("BTC/USD", "5m", 3, until=datetime(2026, 1, 1, tzinfo=UTC))
    ]
    status, out = post(client, {"candles": [candles[1], candles[0], candles[2]]})
    assert status == 422 and out["error"]["field"] == "candles" and "oldest first" in out["error"]["message"]
    status, out = post(client, {"candles": candles * 200})
    assert status == 422 and out["error"]["field"] == "candles"
    status, out = post(client, {"candles": candles, "broker": "paper", "symbol": "BTC/USD"})
    assert status == 422 and out["error"]["field"] == "candles"


def test_without_the_authorizer_context_it_is_401() -> None:
    app = FastAPI()
    app.include_router(backtests.router)
    install_error_handlers(app)
    r = TestClient(app).post(
        "/v1/backtests", json={"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m"}
    )
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        # year 1 and the longest fetch: before the fix, a negative epoch in the paper feed (500)
        ({"until": "0001-01-02T00:00:00Z", "limit": 5000}, "until"),
        ({"until": "9999-12-31T23:59:59Z"}, "until"),
        ({"until": "2099-01-01T00:00:00Z"}, "until"),  # the future: no candle has closed there
        ({"until": "1970-01-02T00:00:00Z", "limit": 5000, "timeframe": "1d"}, "limit"),  # before 1970
    ],
)
def test_candles_that_cannot_exist_are_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    status, answer = post(client, {"broker": "paper", "symbol": "BTC/USD", "timeframe": "5m", **body})
    assert status == 422, answer
    assert answer["error"]["field"] == field


def test_inline_candles_out_of_time_are_422(client: TestClient) -> None:
    candle = {"open": "1", "high": "1", "low": "1", "close": "1", "volume": "1"}
    candles = [{**candle, "timestamp": "0001-01-01T00:00:00"}, {**candle, "timestamp": "0001-01-01T00:05:00"}]
    status, answer = post(client, {"candles": candles})
    assert status == 422 and answer["error"]["field"] == "candles.0.timestamp", answer


def test_inline_candles_in_the_future_are_422(client: TestClient) -> None:
    """Candles that cannot exist yet: a timestamp after now (it was let through up to 2100)."""
    candle = {"open": "1", "high": "1", "low": "1", "close": "1", "volume": "1"}
    later = datetime.now(UTC) + timedelta(days=2)
    candles = [
        {**candle, "timestamp": (later - timedelta(days=3)).isoformat()},
        {**candle, "timestamp": later.isoformat()},
    ]
    status, answer = post(client, {"candles": candles, "timeframe": "1d"})
    assert status == 422 and answer["error"]["field"] == "candles.1.timestamp", answer


def test_inline_candles_of_year_1_east_of_utc_are_422(client: TestClient) -> None:
    """Converted to UTC, 0001-01-01T00:00+01:00 is before year 1: compared, never converted."""
    candle = {"open": "1", "high": "1", "low": "1", "close": "1", "volume": "1"}
    stamps = ("0001-01-01T00:00:00+01:00", "0001-01-02T00:00:00+01:00")
    status, answer = post(client, {"candles": [{**candle, "timestamp": t} for t in stamps]})
    assert status == 422 and answer["error"]["field"] == "candles.0.timestamp", answer
