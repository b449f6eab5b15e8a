"""Dual RSI: a long-only mean-reversion entry on RSI_9, filtered by RSI_14.

Rules, evaluated on the last two closed candles of a series:
- Enter long (when flat) when RSI_9 crosses up out of oversold: the previous bar's RSI_9 is below
  `oversold` and this bar's is at or above it, while RSI_14 is below `midline` (the move is still a
  rebound from weakness, not a chase of strength). A cross vetoed by RSI_14 holds with TREND_FILTER.
- Exit a long position, checked in this order (the first that holds wins):
  1. stop-loss: the close is at or below average_price * (1 - stop_loss);
  2. take-profit: the close is at or above average_price * (1 + take_profit);
  3. RSI_9 at or above `overbought`.
  Stop-loss and take-profit work on price alone, so they apply even while the RSIs are warming up.

The periods are fixed at 9 and 14 so that one RSI computation per series serves every user; only
the thresholds are per user. A flat stretch reads RSI 0 (TA-Lib's convention, see
nija.domain.indicators), so the first move up after it counts as a cross out of oversold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, ValidationInfo, field_validator

from nija.domain.indicators import rsi
from nija.domain.market import Candle
from nija.domain.models import Frozen
from nija.domain.money import ZERO
from nija.domain.strategies.base import Action, Decision, Holding, Reason, closed_candles

FAST_PERIOD = 9
SLOW_PERIOD = 14

RsiLevel = Annotated[float, Field(gt=0, lt=100)]


class DualRsiSettings(Frozen):
    """A user's thresholds. RSI levels are on RSI's 0-100 scale; stop_loss and take_profit are
    fractions of the position's average price (0.02 is 2%)."""

    oversold: RsiLevel = Field(30.0, description="RSI_9 level an entry must cross up through")
    midline: RsiLevel = Field(50.0, validate_default=True, description="RSI_14 must be below this to enter")
    overbought: RsiLevel = Field(70.0, validate_default=True, description="RSI_9 at or above this exits")
    stop_loss: Decimal = Field(
        Decimal("0.02"), gt=0, le=Decimal("0.5"), description="exit at a loss of this fraction (0 < x <= 0.5)"
    )
    take_profit: Decimal = Field(
        Decimal("0.04"), gt=0, le=Decimal("10"), description="exit at a gain of this fraction (0 < x <= 10)"
    )

    @field_validator("midline")
    @classmethod
    def _midline_above_oversold(cls, value: float, info: ValidationInfo) -> float:
        oversold = info.data.get("oversold")
        if oversold is not None and value <= oversold:
            raise ValueError(f"midline must be above oversold ({oversold:g})")
        return value

    @field_validator("overbought")
    @classmethod
    def _overbought_above_midline(cls, value: float, info: ValidationInfo) -> float:
        midline = info.data.get("midline")
        if midline is not None and value <= midline:
            raise ValueError(f"overbought must be above midline ({midline:g})")
        return value


@dataclass(frozen=True, slots=True)
class DualRsiSignals:
    """The shared signals of one series as of its last closed candle. NaN RSIs while warming up;
    `close` and `candle_time` are None when there is no closed candle at all."""

    candle_time: datetime | None
    close: Decimal | None
    rsi_fast_prev: float
    rsi_fast: float
    rsi_slow: float

    @classmethod
    def from_closes(cls, closes: Sequence[Decimal], candle_time: datetime | None = None) -> DualRsiSignals:
        """Signals from closed candles' closes, oldest first."""
        if not closes:
            return cls(None, None, math.nan, math.nan, math.nan)
        fast = rsi(closes, FAST_PERIOD)
        slow = rsi(closes, SLOW_PERIOD)
        fast_prev = float(fast[-2]) if len(fast) > 1 else math.nan
        return cls(candle_time, closes[-1], fast_prev, float(fast[-1]), float(slow[-1]))


class DualRsi:
    name = "dual_rsi"
    settings_model = DualRsiSettings

    def prepare(self, candles: Sequence[Candle], timeframe: str, now: datetime) -> DualRsiSignals:
        closed = closed_candles(candles, timeframe, now)
        if not closed:
            return DualRsiSignals.from_closes([])
        return DualRsiSignals.from_closes([c.close for c in closed], closed[-1].timestamp)

    def prepare_each(self, candles: Sequence[Candle]) -> list[DualRsiSignals]:
        """The signals as of every candle (all taken as closed), from one RSI pass per period:
        out[i] equals `prepare(candles[: i + 1], ...)` (Wilder's RSI at i reads only closes up to i)."""
        closes = [c.close for c in candles]
        fast = rsi(closes, FAST_PERIOD).tolist()
        slow = rsi(closes, SLOW_PERIOD).tolist()
        prev = [math.nan, *fast][: len(fast)]
        return [
            DualRsiSignals(c.timestamp, c.close, p, f, s)
            for c, p, f, s in zip(candles, prev, fast, slow, strict=True)
        ]

    def decide(
        self, signals: DualRsiSignals, position: Holding | None, settings: DualRsiSettings
    ) -> Decision:
        quantity = ZERO if position is None else position.quantity
        if quantity > ZERO:
            return _decide_long(signals, position, settings)  # type: ignore[arg-type]
        if quantity < ZERO:
            return _HOLD_UNSUPPORTED
        # NaN compares False, so a warming-up series never enters.
        crossed = signals.rsi_fast_prev < settings.oversold <= signals.rsi_fast
        if not crossed:
            return _HOLD_WARMING if math.isnan(signals.rsi_fast_prev + signals.rsi_fast) else _HOLD
        if signals.rsi_slow < settings.midline:
            return _ENTER
        return _HOLD_WARMING if math.isnan(signals.rsi_slow) else _HOLD_FILTERED


def _decide_long(signals: DualRsiSignals, position: Holding, settings: DualRsiSettings) -> Decision:
    close, average = signals.close, position.average_price
    if close is not None and average > ZERO:
        if close <= average * (1 - settings.stop_loss):
            return _EXIT_STOP
        if close >= average * (1 + settings.take_profit):
            return _EXIT_PROFIT
    if signals.rsi_fast >= settings.overbought:
        return _EXIT_OVERBOUGHT
    return _HOLD_WARMING if math.isnan(signals.rsi_fast) else _HOLD


# Decisions are immutable: one instance per outcome keeps `decide` free of allocations.
_ENTER = Decision(Action.ENTER, Reason.RSI_CROSSED_UP_FROM_OVERSOLD)
_EXIT_STOP = Decision(Action.EXIT, Reason.STOP_LOSS)
_EXIT_PROFIT = Decision(Action.EXIT, Reason.TAKE_PROFIT)
_EXIT_OVERBOUGHT = Decision(Action.EXIT, Reason.RSI_OVERBOUGHT)
_HOLD = Decision(Action.HOLD, Reason.NO_SIGNAL)
_HOLD_FILTERED = Decision(Action.HOLD, Reason.TREND_FILTER)
_HOLD_WARMING = Decision(Action.HOLD, Reason.WARMING_UP)
_HOLD_UNSUPPORTED = Decision(Action.HOLD, Reason.UNSUPPORTED_POSITION)
