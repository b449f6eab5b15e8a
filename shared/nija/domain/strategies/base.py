"""The strategy interface: shared signals per series, one cheap decision per user.

A scan reads candles once per (broker, symbol, timeframe) and calls `prepare` once on them; the
result (the signals) is shared by every user on that series, and `decide` runs per user with that
user's position and settings. `decide` must stay cheap (the scan budget is 20 µs per user and
symbol): it compares precomputed numbers and never recomputes an indicator.

Decisions are made on CLOSED candles only: `prepare` drops a candle that is still forming (its
open time + the timeframe is after `now`), so a signal never flickers within a candle and a scan
run twice for the same candle decides the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from nija.domain.errors import InvalidInput
from nija.domain.market import TIMEFRAME_SECONDS, Candle


class Action(StrEnum):
    ENTER = "enter"  # open a long position
    EXIT = "exit"  # close the whole long position
    HOLD = "hold"


class Reason(StrEnum):
    """Why a decision was made; recorded with the intent or the audit line. Add, never rename."""

    RSI_CROSSED_UP_FROM_OVERSOLD = "rsi_crossed_up_from_oversold"
    RSI_OVERBOUGHT = "rsi_overbought"
    STOP_LOSS = "stop_loss"
    TAKE_PROFIT = "take_profit"
    NO_SIGNAL = "no_signal"
    TREND_FILTER = "trend_filter"  # the entry signal fired but the slow RSI vetoed it
    WARMING_UP = "warming_up"  # not enough closed candles for the indicators yet
    UNSUPPORTED_POSITION = "unsupported_position"  # e.g. a short position under a long-only strategy


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    reason: Reason


class Holding(Protocol):
    """What a strategy reads of a user's position (nija.domain.models.Position fits)."""

    @property
    def quantity(self) -> Decimal: ...

    @property
    def average_price(self) -> Decimal: ...


SignalsT = TypeVar("SignalsT")
SettingsT = TypeVar("SettingsT", bound=BaseModel)


class Strategy(Protocol[SignalsT, SettingsT]):
    name: str
    settings_model: type[SettingsT]

    def prepare(self, candles: Sequence[Candle], timeframe: str, now: datetime) -> SignalsT:
        """Signals from one series' candles (oldest first), once per scan and series."""
        ...

    def decide(self, signals: SignalsT, position: Holding | None, settings: SettingsT) -> Decision:
        """One user's decision on shared signals; `position` None or quantity 0 means flat."""
        ...


class SeriesStrategy(Strategy[SignalsT, SettingsT], Protocol):
    """A strategy that can also give its signals as of every candle of a series in one pass
    (backtests). Contract: `prepare_each(candles)[i]` equals `prepare(candles[: i + 1], timeframe,
    now)` when all those candles are closed by `now`."""

    def prepare_each(self, candles: Sequence[Candle]) -> Sequence[SignalsT]: ...


def parse_settings(strategy: Strategy[Any, SettingsT], raw: dict[str, Any]) -> SettingsT:
    """A user's stored or submitted settings for `strategy`, validated (pydantic errors name the field)."""
    return strategy.settings_model.model_validate(raw)


def closed_candles(candles: Sequence[Candle], timeframe: str, now: datetime) -> Sequence[Candle]:
    """`candles` (oldest first) without the trailing ones that have not closed by `now`."""
    seconds = TIMEFRAME_SECONDS.get(timeframe)
    if seconds is None:
        raise InvalidInput(f"unknown timeframe {timeframe!r}", field="timeframe")
    length = timedelta(seconds=seconds)
    end = len(candles)
    while end and candles[end - 1].timestamp + length > now:
        end -= 1
    return candles[:end]
