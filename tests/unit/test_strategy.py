"""The strategy interface and the dual-RSI rules, threshold by threshold."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError

from nija.domain.errors import InvalidInput
from nija.domain.indicators import rsi
from nija.domain.market import Candle
from nija.domain.models import BrokerName, Position
from nija.domain.strategies import (
    STRATEGIES,
    Action,
    Decision,
    DualRsi,
    DualRsiSettings,
    DualRsiSignals,
    Reason,
    closed_candles,
    get_strategy,
    parse_settings,
)

STRATEGY = DualRsi()
DEFAULTS = DualRsiSettings()
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def signals(prev: float, fast: float, slow: float, close: str | None = "100") -> DualRsiSignals:
    return DualRsiSignals(T0, None if close is None else Decimal(close), prev, fast, slow)


def long(average: str = "100", quantity: str = "1") -> Position:
    return Position(
        user_id="u1",
        broker=BrokerName.PAPER,
        symbol="BTC/USD",
        quantity=Decimal(quantity),
        average_price=Decimal(average),
    )


def decide(sig: DualRsiSignals, position: Position | None = None, **settings: object) -> Decision:
    return STRATEGY.decide(sig, position, DualRsiSettings(**settings) if settings else DEFAULTS)


def candles(closes: list[float], minutes: int = 5) -> list[Candle]:
    step = timedelta(minutes=minutes)
    prices = [Decimal(str(c)) for c in closes]
    return [
        Candle(timestamp=T0 + i * step, open=p, high=p, low=p, close=p, volume=Decimal(1))
        for i, p in enumerate(prices)
    ]


# Entry


def test_enters_on_cross_up_out_of_oversold_below_midline() -> None:
    assert decide(signals(29.9, 30.1, 45)) == Decision(Action.ENTER, Reason.RSI_CROSSED_UP_FROM_OVERSOLD)


def test_cross_landing_exactly_on_oversold_enters() -> None:
    assert decide(signals(29.99, 30.0, 45)).action is Action.ENTER


def test_previous_bar_at_oversold_is_no_cross() -> None:
    assert decide(signals(30.0, 35, 45)) == Decision(Action.HOLD, Reason.NO_SIGNAL)


def test_still_below_oversold_holds() -> None:
    assert decide(signals(20, 29.99, 45)) == Decision(Action.HOLD, Reason.NO_SIGNAL)


def test_crossing_down_holds() -> None:
    assert decide(signals(31, 29, 45)).action is Action.HOLD


def test_slow_rsi_at_midline_vetoes_the_entry() -> None:
    assert decide(signals(25, 31, 50.0)) == Decision(Action.HOLD, Reason.TREND_FILTER)
    assert decide(signals(25, 31, 49.999)).action is Action.ENTER


def test_custom_thresholds_move_the_edges() -> None:
    tuned = {"oversold": 20.0, "midline": 40.0, "overbought": 80.0}
    assert decide(signals(19, 20, 39.9), **tuned).action is Action.ENTER
    assert decide(signals(25, 31, 45), **tuned).action is Action.HOLD
    assert decide(signals(19, 21, 40.0), **tuned).reason is Reason.TREND_FILTER


def test_no_entry_while_warming_up() -> None:
    assert decide(signals(math.nan, 31, 45)) == Decision(Action.HOLD, Reason.WARMING_UP)
    assert decide(signals(25, math.nan, 45)).reason is Reason.WARMING_UP
    assert decide(signals(25, 31, math.nan)) == Decision(Action.HOLD, Reason.WARMING_UP)


def test_flat_zero_quantity_position_can_enter() -> None:
    assert decide(signals(25, 31, 45), long(quantity="0")).action is Action.ENTER


def test_already_long_does_not_enter_again() -> None:
    assert decide(signals(25, 31, 45), long()) == Decision(Action.HOLD, Reason.NO_SIGNAL)


def test_short_position_is_left_alone() -> None:
    assert decide(signals(25, 31, 45), long(quantity="-1")) == Decision(
        Action.HOLD, Reason.UNSUPPORTED_POSITION
    )


# Exits


def test_exit_on_fast_rsi_at_overbought() -> None:
    assert decide(signals(60, 70.0, 60), long()) == Decision(Action.EXIT, Reason.RSI_OVERBOUGHT)
    assert decide(signals(60, 69.99, 60), long()).action is Action.HOLD


def test_stop_loss_edge() -> None:
    assert decide(signals(40, 40, 40, close="98"), long()) == Decision(Action.EXIT, Reason.STOP_LOSS)
    assert decide(signals(40, 40, 40, close="98.01"), long()).action is Action.HOLD


def test_take_profit_edge() -> None:
    assert decide(signals(40, 40, 40, close="104"), long()) == Decision(Action.EXIT, Reason.TAKE_PROFIT)
    assert decide(signals(40, 40, 40, close="103.99"), long()).action is Action.HOLD


def test_custom_stop_and_take_profit() -> None:
    settings = {"stop_loss": "0.05", "take_profit": "0.1"}
    assert decide(signals(40, 40, 40, close="95"), long(), **settings).reason is Reason.STOP_LOSS
    assert decide(signals(40, 40, 40, close="96"), long(), **settings).action is Action.HOLD
    assert decide(signals(40, 40, 40, close="110"), long(), **settings).reason is Reason.TAKE_PROFIT


def test_stop_loss_wins_over_overbought_and_take_profit_over_overbought() -> None:
    assert decide(signals(80, 90, 80, close="90"), long()).reason is Reason.STOP_LOSS
    assert decide(signals(80, 90, 80, close="120"), long()).reason is Reason.TAKE_PROFIT


def test_price_exits_work_while_rsi_warms_up() -> None:
    warming = signals(math.nan, math.nan, math.nan, close="97")
    assert decide(warming, long()).reason is Reason.STOP_LOSS
    assert decide(signals(math.nan, math.nan, math.nan), long()) == Decision(Action.HOLD, Reason.WARMING_UP)


def test_no_price_or_no_average_skips_price_exits() -> None:
    assert decide(signals(40, 40, 40, close=None), long()).action is Action.HOLD
    assert decide(signals(40, 40, 40, close="1"), long(average="0")).action is Action.HOLD


# Settings


def test_defaults_are_documented_values() -> None:
    assert (DEFAULTS.oversold, DEFAULTS.midline, DEFAULTS.overbought) == (30.0, 50.0, 70.0)
    assert (DEFAULTS.stop_loss, DEFAULTS.take_profit) == (Decimal("0.02"), Decimal("0.04"))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"oversold": 50.0}, "midline"),
        ({"oversold": 60.0}, "midline"),
        ({"midline": 70.0}, "overbought"),
        ({"overbought": 45.0}, "overbought"),
        ({"oversold": 0.0}, "oversold"),
        ({"overbought": 100.0}, "overbought"),
        ({"stop_loss": "0"}, "stop_loss"),
        ({"stop_loss": "0.51"}, "stop_loss"),
        ({"take_profit": "-0.01"}, "take_profit"),
        ({"take_profit": "10.5"}, "take_profit"),
        ({"rsi_period": 7}, "rsi_period"),
    ],
)
def test_invalid_settings_name_the_field(values: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DualRsiSettings.model_validate(values)
    assert field in {str(loc) for error in caught.value.errors() for loc in error["loc"]}


def test_settings_accept_json_strings_and_bounds() -> None:
    settings = parse_settings(STRATEGY, {"stop_loss": "0.5", "take_profit": 10, "oversold": "25"})
    assert settings.stop_loss == Decimal("0.5")
    assert settings.take_profit == Decimal(10)
    assert settings.oversold == 25.0


# Registry and signals


def test_registry_by_name() -> None:
    assert get_strategy("dual_rsi") is STRATEGIES["dual_rsi"]
    with pytest.raises(InvalidInput) as caught:
        get_strategy("nope")
    assert caught.value.field == "strategy"


def test_closed_candles_drop_the_forming_one() -> None:
    series = candles([1.0, 2.0, 3.0])
    assert closed_candles(series, "5m", T0 + timedelta(minutes=15)) == series
    assert closed_candles(series, "5m", T0 + timedelta(minutes=14, seconds=59)) == series[:2]
    assert closed_candles(series, "5m", T0) == []
    with pytest.raises(InvalidInput):
        closed_candles(series, "7m", T0)


def test_prepare_uses_closed_candles_only() -> None:
    closes = [float(c) for c in (100 + np.cumsum(np.random.default_rng(1).normal(0, 1, 40))).round(2)]
    series = candles(closes)
    now = T0 + timedelta(minutes=5 * 39 + 1)  # the 40th candle is still forming
    sig = STRATEGY.prepare(series, "5m", now)
    fast, slow = rsi(closes[:39], 9), rsi(closes[:39], 14)
    assert sig.candle_time == series[38].timestamp
    assert sig.close == series[38].close
    assert (sig.rsi_fast_prev, sig.rsi_fast, sig.rsi_slow) == (fast[-2], fast[-1], slow[-1])


def test_prepare_with_too_few_candles_warms_up() -> None:
    assert math.isnan(STRATEGY.prepare([], "5m", T0).rsi_fast)
    sig = STRATEGY.prepare(candles([1.0, 2.0]), "5m", T0 + timedelta(hours=1))
    assert sig.close == Decimal("2.0")
    assert math.isnan(sig.rsi_fast_prev) and math.isnan(sig.rsi_slow)
    assert STRATEGY.decide(sig, None, DEFAULTS).reason is Reason.WARMING_UP


def test_decide_is_cheap() -> None:
    sig, position = signals(25, 31, 45, close="101"), long()
    rounds = 20_000
    start = time.perf_counter()
    for _ in range(rounds):
        STRATEGY.decide(sig, position, DEFAULTS)
        STRATEGY.decide(sig, None, DEFAULTS)
    per_call_us = (time.perf_counter() - start) / (2 * rounds) * 1e6
    assert per_call_us < 20  # generous: the scan target per user and symbol, measured ~1 µs
