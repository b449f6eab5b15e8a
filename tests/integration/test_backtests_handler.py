"""POST /v1/backtests through trading_api's Lambda handler, with the events in events/trading_api.

Skipped until the router is registered in the trading API (nija.api.trading_app.TRADING_ROUTERS)."""

from __future__ import annotations

import json

import pytest

from nija.api.routers import backtests
from nija.api.trading_app import TRADING_ROUTERS

pytestmark = pytest.mark.skipif(
    backtests.router not in TRADING_ROUTERS,
    reason="POST /v1/backtests is not registered in the trading API yet",
)

ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"


def test_a_backtest_on_the_paper_feed(trading_api) -> None:  # type: ignore[no-untyped-def]
    r = trading_api("backtests_create", user_id=ALICE)
    assert r.status == 200, r.body
    assert r.body["bars"] == 1000 and r.body["timeframe"] == "5m"
    assert r.body["metrics"]["trade_count"] == len(r.body["trades"]) > 0
    assert len(r.body["equity_curve"]) == 1000


def test_a_bad_threshold_is_a_422_naming_it(trading_api) -> None:  # type: ignore[no-untyped-def]
    r = trading_api("backtests_create_bad_threshold", user_id=ALICE)
    assert r.status == 422 and r.error["field"] == "thresholds.oversold"


def test_without_the_authorizer_context_it_is_401(trading_api, load_event) -> None:  # type: ignore[no-untyped-def]
    event = load_event("trading_api/backtests_create", user_id=ALICE)
    del event["requestContext"]["authorizer"]
    r = trading_api.invoke(event)
    assert r.status == 401 and r.error["code"] == "unauthenticated"
    assert json.loads(event["body"])["broker"] == "paper"
