"""Backtests: a strategy run bar by bar over historical candles, with fees and slippage. Pure: no I/O,
no clock; the same candles and settings always give the same result.

The rules (the scan's, replayed):
- Signals come from the SAME strategy code the scan runs. A strategy with `prepare_each` (every
  built-in one) gives the signals as of every candle in one pass; any other is asked `prepare` on
  each window `candles[: i + 1]`. Either way the decision at bar i reads only candles 0..i, all
  closed: nothing after bar i's close.
- The decision is taken on bar i's close and filled at bar i + 1's open, moved against the trader
  by the slippage (a buy pays open * (1 + bps / 10,000), a sell gets open * (1 - bps / 10,000)), as
  the paper broker fills a market order. A decision on the last bar has no next bar and is dropped.
- Long only, one position at a time. An entry buys `position_share` of the equity at the fill
  (all cash, since the book is flat): quantity = cash * share / fill price, rounded DOWN to
  `quantity_decimals`. A quantity of 0 skips the entry.
- The fee is `fee_rate` times the fill's notional (quantity * fill price), rounded UP to 8 decimals
  (the paper broker's rule), paid in cash on both legs.
- Stop-loss, take-profit and every other exit are what the strategy decides on a bar's close, with
  the position's average price = the entry's fill price; they fill at the next open like any exit.
  There are no intrabar stops, so a gap moves the fill past the stop.
- A position still open after the last bar is not closed: it is marked at the last close in the
  equity (no exit fee), reported as `open_position`, and not counted in the trades or the win rate.

Money and quantities are Decimal throughout (exact: no float touches cash, fees or equity); only
the indicators inside the strategy and the Sharpe ratio use float64. Metrics: see `metrics`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal
from typing import Any

from pydantic import BaseModel

from nija.domain.errors import InvalidInput
from nija.domain.market import TIMEFRAME_SECONDS, Candle
from nija.domain.models import Frozen, Money
from nija.domain.money import ZERO
from nija.domain.strategies import Action, Reason, Strategy

BPS = Decimal(10_000)
FEE_PLACES = 8  # as the paper broker: fees rounded up to this many decimals of the quote currency
RATIO_PLACES = 10  # total return, drawdown and win rate are given to this many decimals
SECONDS_PER_YEAR = 365 * 86_400  # crypto markets trade every day of the year


class BacktestCosts(Frozen):
    """What trading costs and how much is traded. Defaults are the paper broker's and RiskSettings'."""

    cash: Money = Decimal("10000")
    fee_rate: Money = Decimal("0.001")
    slippage_bps: Money = Decimal("5")
    position_share: Money = Decimal("0.05")
    quantity_decimals: int = 8


class BacktestTrade(Frozen):
    entry_time: datetime
    entry_price: Money
    exit_time: datetime
    exit_price: Money
    quantity: Money
    entry_fee: Money
    exit_fee: Money
    fee: Money  # entry_fee + exit_fee
    pnl: Money  # exit notional - entry notional - both fees
    return_pct: Money  # pnl / (entry notional + entry fee), in percent
    entry_reason: str
    exit_reason: str


class OpenPosition(Frozen):
    entry_time: datetime
    entry_price: Money
    quantity: Money
    entry_fee: Money
    mark_price: Money
    unrealized_pnl: Money  # at the last close, net of the entry fee, before any exit fee


class EquityPoint(Frozen):
    time: datetime  # the bar's open time; the equity is at its close
    equity: Money


class BacktestMetrics(Frozen):
    initial_cash: Money
    final_equity: Money
    total_return: Money
    max_drawdown: Money
    win_rate: Money | None
    trade_count: int
    total_fees: Money
    sharpe_ratio: float | None


class BacktestResult(Frozen):
    strategy: str
    timeframe: str
    bars: int
    start: datetime | None
    end: datetime | None
    costs: BacktestCosts
    settings: dict[str, Any]
    metrics: BacktestMetrics
    trades: list[BacktestTrade]
    open_position: OpenPosition | None
    equity_curve: list[EquityPoint]


@dataclass(frozen=True, slots=True)
class _Holding:
    """The position the strategy sees (the Holding protocol)."""

    quantity: Decimal
    average_price: Decimal


@dataclass(frozen=True, slots=True)
class _Entry:
    time: datetime
    price: Decimal
    quantity: Decimal
    fee: Decimal
    reason: str


def fill_price(open_: Decimal, buy: bool, slippage_bps: Decimal) -> Decimal:
    """The next bar's open moved against the trader by the slippage."""
    return open_ * (1 + slippage_bps / BPS) if buy else open_ * (1 - slippage_bps / BPS)


def fee_for(notional: Decimal, fee_rate: Decimal) -> Decimal:
    return (notional * fee_rate).quantize(Decimal(1).scaleb(-FEE_PLACES), rounding=ROUND_CEILING)


def signals_for(strategy: Strategy[Any, Any], candles: Sequence[Candle], timeframe: str) -> Sequence[Any]:
    """The strategy's signals as of every candle (see the module docstring)."""
    each = getattr(strategy, "prepare_each", None)
    if each is not None:
        return list(each(candles))
    bar = timedelta(seconds=TIMEFRAME_SECONDS[timeframe])
    return [strategy.prepare(candles[: i + 1], timeframe, c.timestamp + bar) for i, c in enumerate(candles)]


def run_backtest(
    strategy: Strategy[Any, Any],
    settings: BaseModel,
    candles: Sequence[Candle],
    timeframe: str,
    costs: BacktestCosts | None = None,
) -> BacktestResult:
    """Replay `strategy` with `settings` over `candles` (oldest first, all closed)."""
    costs = costs or BacktestCosts()
    if timeframe not in TIMEFRAME_SECONDS:
        raise InvalidInput(f"timeframe must be one of {', '.join(TIMEFRAME_SECONDS)}", field="timeframe")
    check_series(candles)
    signals = signals_for(strategy, candles, timeframe)
    step = Decimal(1).scaleb(-costs.quantity_decimals)
    cash = costs.cash
    entry: _Entry | None = None
    pending: tuple[Action, Reason] | None = None
    trades: list[BacktestTrade] = []
    curve: list[EquityPoint] = []

    for i, candle in enumerate(candles):
        if pending is not None:  # the previous close's decision fills at this open
            action, reason = pending
            pending = None
            if action is Action.ENTER and entry is None:
                price = fill_price(candle.open, True, costs.slippage_bps)
                quantity = (cash * costs.position_share / price).quantize(step, rounding=ROUND_DOWN)
                if quantity > ZERO:
                    fee = fee_for(quantity * price, costs.fee_rate)
                    cash -= quantity * price + fee
                    entry = _Entry(candle.timestamp, price, quantity, fee, reason.value)
            elif action is Action.EXIT and entry is not None:
                price = fill_price(candle.open, False, costs.slippage_bps)
                trade = _close(entry, candle.timestamp, price, costs.fee_rate, reason.value)
                cash += entry.quantity * price - trade.exit_fee
                trades.append(trade)
                entry = None
        held = ZERO if entry is None else entry.quantity
        curve.append(EquityPoint(time=candle.timestamp, equity=cash + held * candle.close))
        position = None if entry is None else _Holding(entry.quantity, entry.price)
        decision = strategy.decide(signals[i], position, settings)
        if decision.action is not Action.HOLD and i + 1 < len(candles):
            pending = (decision.action, decision.reason)

    open_position = None
    if entry is not None:
        mark = candles[-1].close
        open_position = OpenPosition(
            entry_time=entry.time,
            entry_price=entry.price,
            quantity=entry.quantity,
            entry_fee=entry.fee,
            mark_price=mark,
            unrealized_pnl=entry.quantity * (mark - entry.price) - entry.fee,
        )
    return BacktestResult(
        strategy=strategy.name,
        timeframe=timeframe,
        bars=len(candles),
        start=candles[0].timestamp if candles else None,
        end=candles[-1].timestamp if candles else None,
        costs=costs,
        settings=settings.model_dump(mode="json"),
        metrics=metrics(costs.cash, curve, trades, open_position, timeframe),
        trades=trades,
        open_position=open_position,
        equity_curve=curve,
    )


def _close(entry: _Entry, time: datetime, price: Decimal, fee_rate: Decimal, reason: str) -> BacktestTrade:
    exit_fee = fee_for(entry.quantity * price, fee_rate)
    cost = entry.quantity * entry.price + entry.fee
    pnl = entry.quantity * price - exit_fee - cost
    return BacktestTrade(
        entry_time=entry.time,
        entry_price=entry.price,
        exit_time=time,
        exit_price=price,
        quantity=entry.quantity,
        entry_fee=entry.fee,
        exit_fee=exit_fee,
        fee=entry.fee + exit_fee,
        pnl=pnl,
        return_pct=_ratio(pnl * 100, cost),
        entry_reason=entry.reason,
        exit_reason=reason,
    )


def check_series(candles: Sequence[Candle]) -> None:
    """Candles must be in strictly increasing time order (oldest first), with no repeats."""
    for i in range(1, len(candles)):
        if candles[i].timestamp <= candles[i - 1].timestamp:
            raise InvalidInput(
                f"candle {i} ({candles[i].timestamp.isoformat()}) is not after candle {i - 1}"
                f" ({candles[i - 1].timestamp.isoformat()}): candles must be oldest first, without repeats",
                field="candles",
            )


def metrics(
    initial_cash: Decimal,
    curve: Sequence[EquityPoint],
    trades: Sequence[BacktestTrade],
    open_position: OpenPosition | None,
    timeframe: str,
) -> BacktestMetrics:
    """- total_return = final equity / initial cash - 1 (final equity: the last bar's, open position
      marked at the last close; the initial cash when there are no bars).
    - max_drawdown = max over bars t of (peak_t - equity_t) / peak_t, peak_t = the highest equity
      up to t, starting from the initial cash; a fraction (0.1 = 10%), 0 when equity never falls.
    - win_rate = closed trades with pnl > 0 / closed trades; None without a closed trade.
    - sharpe_ratio = mean(r) / stdev(r) * sqrt(bars per year), r_t = equity_t / equity_{t-1} - 1
      per bar (the first bar's against the initial cash), stdev with ddof 1, risk-free rate 0, bars
      per year = 365 * 86,400 / the timeframe's seconds; None with fewer than 2 returns or stdev 0.
    """
    equities = [initial_cash, *(p.equity for p in curve)]
    final = equities[-1]
    peak, drawdown = equities[0], ZERO
    for equity in equities:
        peak = max(peak, equity)
        if peak > ZERO:
            drawdown = max(drawdown, (peak - equity) / peak)
    wins = sum(1 for t in trades if t.pnl > ZERO)
    fees = sum((t.fee for t in trades), ZERO) + (open_position.entry_fee if open_position else ZERO)
    return BacktestMetrics(
        initial_cash=initial_cash,
        final_equity=final,
        total_return=_ratio(final - initial_cash, initial_cash),
        max_drawdown=_round(drawdown),
        win_rate=_ratio(Decimal(wins), Decimal(len(trades))) if trades else None,
        trade_count=len(trades),
        total_fees=fees,
        sharpe_ratio=sharpe_ratio([float(e) for e in equities], TIMEFRAME_SECONDS[timeframe]),
    )


def sharpe_ratio(equities: Sequence[float], bar_seconds: int) -> float | None:
    """Annualised Sharpe ratio of the per-bar returns of `equities` (see `metrics`)."""
    returns = [b / a - 1.0 for a, b in itertools.pairwise(equities) if a > 0]
    if len(returns) < 2:
        return None
    mean = math.fsum(returns) / len(returns)
    variance = math.fsum((r - mean) ** 2 for r in returns) / (len(returns) - 1)
    if variance <= 0.0:
        return None
    return mean / math.sqrt(variance) * math.sqrt(SECONDS_PER_YEAR / bar_seconds)


def _ratio(numerator: Decimal, denominator: Decimal) -> Decimal:
    return _round(numerator / denominator) if denominator else ZERO


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-RATIO_PLACES))
