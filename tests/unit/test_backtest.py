"""The backtest engine: fills, fees and slippage to the cent, exits, metrics on a known curve, and no
look-ahead (decisions read closed candles up to bar i only; fills happen at bar i + 1's open)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija.adapters.paper.feed import PaperFeed
from nija.domain.backtest import (
    BacktestCosts,
    BacktestTrade,
    EquityPoint,
    fee_for,
    fill_price,
    metrics,
    run_backtest,
    sharpe_ratio,
)
from nija.domain.errors import InvalidInput
from nija.domain.indicators import rsi
from nija.domain.market import Candle
from nija.domain.models import BrokerName, Position
from nija.domain.strategies import Action, DualRsi, DualRsiSettings, DualRsiSignals

T0 = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=5)
STRATEGY = DualRsi()
# cash 20,020 x 5% = 1,001 to spend: one unit at a fill of exactly 1,001.
COSTS = BacktestCosts(
    cash=Decimal("20020"),
    fee_rate=Decimal("0.001"),
    slippage_bps=Decimal("10"),
    position_share=Decimal("0.05"),
)


def series(closes: Sequence[str | float], opens: dict[int, str] | None = None) -> list[Candle]:
    """Candles whose open is the previous close unless `opens` says otherwise."""
    out = []
    for i, close in enumerate(closes):
        c = Decimal(str(close))
        o = Decimal((opens or {}).get(i, str(closes[i - 1]) if i else str(close)))
        out.append(
            Candle(timestamp=T0 + i * STEP, open=o, high=max(o, c), low=min(o, c), close=c, volume=Decimal(1))
        )
    return out


# A slide (every RSI 0), then one bounce: RSI_9 crosses 30 at bar CROSS while RSI_14 is far below 50.
SLIDE = [1040 - 2 * i for i in range(20)]  # 1040 … 1002
CROSS = 20
BOUNCE = [*SLIDE, 1010]


def test_the_bounce_is_a_cross_under_the_midline() -> None:  # the premise of the tests below
    fast, slow = rsi(BOUNCE, 9), rsi(BOUNCE, 14)
    assert fast[CROSS - 1] < 30 <= fast[CROSS] and slow[CROSS] < 50


def test_entry_fills_at_the_next_open_with_slippage_and_fee_exit_on_overbought() -> None:
    # Entry decided on bar 20's close, filled at bar 21's open 1,000 + 10 bps = 1,001; then a climb
    # makes RSI_9 overbought; the exit fills at the next open 1,100 - 10 bps = 1,098.9.
    closes = [*BOUNCE, 1012, 1016, 1024, 1036, 1050, 1070, 1090]
    fast = rsi(closes, 9)
    exit_bar = next(i for i in range(CROSS + 1, len(closes)) if fast[i] >= 70)
    closes.append(1095)
    candles = series(closes, {CROSS + 1: "1000", exit_bar + 1: "1100"})
    result = run_backtest(STRATEGY, DualRsiSettings(take_profit=Decimal("10")), candles, "5m", COSTS)

    (trade,) = result.trades
    assert trade.entry_time == candles[CROSS + 1].timestamp and trade.entry_price == Decimal("1001")
    assert trade.quantity == Decimal("1") and trade.entry_fee == Decimal("1.001")
    assert trade.exit_time == candles[exit_bar + 1].timestamp and trade.exit_price == Decimal("1098.9")
    assert trade.exit_fee == Decimal("1.0989") and trade.fee == Decimal("2.0999")
    assert trade.pnl == Decimal("95.8001")  # 1098.9 - 1.0989 - 1001 - 1.001
    assert (trade.entry_reason, trade.exit_reason) == ("rsi_crossed_up_from_oversold", "rsi_overbought")
    assert result.open_position is None
    assert result.metrics.final_equity == Decimal("20115.8001") == result.equity_curve[-1].equity
    assert result.metrics.total_return == Decimal("0.0047852198")  # 95.8001 / 20020
    assert result.metrics.total_fees == Decimal("2.0999") and result.metrics.win_rate == Decimal(1)
    # While holding, the equity is the cash left plus the unit at the bar's close.
    assert result.equity_curve[CROSS + 1].equity == Decimal("19017.999") + Decimal(closes[CROSS + 1])
    assert [p.equity for p in result.equity_curve[: CROSS + 1]] == [COSTS.cash] * (CROSS + 1)


def test_stop_loss_exits_at_the_next_open() -> None:
    # Filled at 1,001; the close 975 is below 1,001 x 0.98 = 980.98: stop; out at 970 - 10 bps.
    candles = series([*BOUNCE, 1003, 975, 972], {CROSS + 1: "1000", CROSS + 3: "970"})
    result = run_backtest(STRATEGY, DualRsiSettings(), candles, "5m", COSTS)
    (trade,) = result.trades
    assert trade.exit_reason == "stop_loss" and trade.exit_time == candles[CROSS + 3].timestamp
    assert trade.exit_price == Decimal("969.03")
    assert trade.pnl == Decimal("969.03") - Decimal("0.96903") - Decimal("1001") - Decimal("1.001")
    assert result.metrics.win_rate == Decimal(0)


def test_take_profit_exits_before_overbought_is_even_read() -> None:
    candles = series([*BOUNCE, 1003, 1050, 1060], {CROSS + 1: "1000", CROSS + 3: "1055"})
    result = run_backtest(STRATEGY, DualRsiSettings(), candles, "5m", COSTS)
    (trade,) = result.trades
    assert trade.exit_reason == "take_profit"  # 1,050 >= 1,001 x 1.04 = 1,041.04
    assert trade.exit_price == Decimal("1055") * Decimal("0.999") and trade.pnl > 0


def test_a_decision_on_the_last_bar_is_not_filled_and_an_open_position_is_marked() -> None:
    only_cross = run_backtest(STRATEGY, DualRsiSettings(), series(BOUNCE), "5m", COSTS)
    assert only_cross.trades == [] and only_cross.open_position is None
    assert only_cross.metrics.final_equity == COSTS.cash and only_cross.metrics.win_rate is None

    held = run_backtest(STRATEGY, DualRsiSettings(), series([*BOUNCE, 1004, 1006], {21: "1000"}), "5m", COSTS)
    assert held.trades == [] and held.open_position is not None
    assert held.open_position.unrealized_pnl == Decimal("1006") - Decimal("1001") - Decimal("1.001")
    assert held.metrics.final_equity == Decimal("19017.999") + Decimal("1006")
    assert held.metrics.trade_count == 0 and held.metrics.total_fees == Decimal("1.001")


def test_quantity_rounds_down_and_fees_round_up() -> None:
    assert fill_price(Decimal("984"), True, Decimal("5")) == Decimal("984.492")
    assert fill_price(Decimal("984"), False, Decimal("5")) == Decimal("983.508")
    assert fee_for(Decimal("0.000000001"), Decimal("0.001")) == Decimal("0.00000001")
    costs = COSTS.model_copy(update={"cash": Decimal("20000")})  # 1,000 to spend at 1,001
    result = run_backtest(
        STRATEGY, DualRsiSettings(), series([*BOUNCE, 1004, 1006], {21: "1000"}), "5m", costs
    )
    assert result.open_position is not None and result.open_position.quantity == Decimal("0.99900099")


def at(i: int, equity: str) -> EquityPoint:
    return EquityPoint(time=T0 + i * timedelta(hours=1), equity=Decimal(equity))


def trade(pnl: str) -> BacktestTrade:
    p = Decimal(pnl)
    return BacktestTrade(
        entry_time=T0, entry_price=Decimal(1), exit_time=T0, exit_price=Decimal(1), quantity=Decimal(1),
        entry_fee=Decimal(0), exit_fee=Decimal(0), fee=Decimal(0), pnl=p, return_pct=p,
        entry_reason="x", exit_reason="y",
    )  # fmt: skip


def test_metrics_on_a_known_curve() -> None:
    curve = [at(0, "120"), at(1, "90"), at(2, "130"), at(3, "117")]
    m = metrics(Decimal(100), curve, [trade("5"), trade("-1"), trade("0"), trade("2")], None, "1h")
    assert m.total_return == Decimal("0.17")
    assert m.max_drawdown == Decimal("0.25")  # 120 -> 90; 130 -> 117 is only 10%
    assert m.win_rate == Decimal("0.5") and m.trade_count == 4  # a zero pnl is not a win
    returns = [0.2, -0.25, 130 / 90 - 1, -0.1]
    expected = statistics.mean(returns) / statistics.stdev(returns) * math.sqrt(365 * 24)
    assert m.sharpe_ratio == pytest.approx(expected, rel=1e-12)


def test_sharpe_needs_two_returns_and_some_variance() -> None:
    assert sharpe_ratio([100.0, 101.0], 300) is None
    assert sharpe_ratio([100.0, 100.0, 100.0], 300) is None
    # returns 1% and 3%: mean 2%, stdev sqrt(2) %, so sqrt(2) per bar; daily bars: x sqrt(365)
    assert sharpe_ratio([100.0, 101.0, 104.03], 86_400) == pytest.approx(math.sqrt(2) * math.sqrt(365))


def test_drawdown_counts_a_fall_from_the_initial_cash() -> None:
    m = metrics(Decimal(100), [at(0, "80"), at(1, "100")], [], None, "1h")
    assert m.max_drawdown == Decimal("0.2") and m.total_return == 0


def paper(bars: int) -> list[Candle]:
    return PaperFeed(7).candles("ETH/USD", "5m", bars, until=datetime(2026, 3, 1, tzinfo=UTC))


def test_prepare_each_equals_prepare_on_every_window() -> None:
    """The backtest's one-pass signals are the scan's `prepare` on the window ending at each bar,
    across the RSI's internal block boundary (1,698 for RSI_9)."""
    candles = paper(1800)
    each = STRATEGY.prepare_each(candles)
    settings = DualRsiSettings()
    for i in [*range(0, 30), *range(1690, 1800)]:
        window = candles[: i + 1]
        one = STRATEGY.prepare(window, "5m", window[-1].timestamp + STEP)
        assert _same(each[i], one), i
        holding = Position(user_id="u", broker=BrokerName.PAPER, symbol="ETH/USD", quantity=Decimal(1),
                           average_price=candles[max(0, i - 5)].close)  # fmt: skip
        for position in (None, holding):
            assert STRATEGY.decide(each[i], position, settings) == STRATEGY.decide(one, position, settings)


def _same(a: DualRsiSignals, b: DualRsiSignals) -> bool:
    floats = [(a.rsi_fast_prev, b.rsi_fast_prev), (a.rsi_fast, b.rsi_fast), (a.rsi_slow, b.rsi_slow)]
    equal = all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in floats)
    return equal and (a.candle_time, a.close) == (b.candle_time, b.close)


class WindowOnly:
    """DualRsi without `prepare_each`: the engine must call `prepare` on each window instead."""

    name = "window_only"
    settings_model = DualRsiSettings

    def prepare(self, candles: Sequence[Candle], timeframe: str, now: datetime) -> DualRsiSignals:
        return STRATEGY.prepare(candles, timeframe, now)

    def decide(self, signals: DualRsiSignals, position: Any, settings: DualRsiSettings) -> Any:
        return STRATEGY.decide(signals, position, settings)


def test_the_one_pass_backtest_equals_the_window_by_window_one() -> None:
    candles = paper(400)
    fast = run_backtest(STRATEGY, DualRsiSettings(), candles, "5m")
    slow = run_backtest(WindowOnly(), DualRsiSettings(), candles, "5m")
    assert fast.trades and fast.trades == slow.trades and fast.equity_curve == slow.equity_curve


def test_no_look_ahead() -> None:
    """Cutting the series after bar k changes nothing up to k, and every fill is at the open of the
    bar after a decision taken on closed candles alone."""
    candles = paper(600)
    full = run_backtest(STRATEGY, DualRsiSettings(), candles, "5m")
    for k in (150, 301, 444, 599):
        cut = run_backtest(STRATEGY, DualRsiSettings(), candles[:k], "5m")
        assert cut.equity_curve == full.equity_curve[:k]
        assert cut.trades == [t for t in full.trades if t.exit_time < candles[k - 1].timestamp + STEP]
    index = {c.timestamp: i for i, c in enumerate(candles)}
    assert len(full.trades) >= 3
    for t in full.trades:
        entry = index[t.entry_time]
        window = candles[:entry]  # up to the decision bar, entry - 1; all closed at its end
        decision = STRATEGY.decide(
            STRATEGY.prepare(window, "5m", candles[entry].timestamp), None, DualRsiSettings()
        )
        assert decision.action is Action.ENTER
        assert t.entry_price == candles[entry].open * (1 + Decimal(5) / 10_000)
        assert t.exit_price == candles[index[t.exit_time]].open * (1 - Decimal(5) / 10_000)


def test_candles_out_of_order_or_an_unknown_timeframe_are_refused() -> None:
    candles = series(BOUNCE)
    with pytest.raises(InvalidInput) as err:
        run_backtest(STRATEGY, DualRsiSettings(), [candles[1], candles[0]], "5m")
    assert err.value.field == "candles" and "candle 1" in err.value.message
    with pytest.raises(InvalidInput) as err:
        run_backtest(STRATEGY, DualRsiSettings(), candles, "7m")
    assert err.value.field == "timeframe"


def test_no_candles_is_no_trade() -> None:
    result = run_backtest(STRATEGY, DualRsiSettings(), [], "5m")
    assert result.bars == 0 and result.trades == [] and result.equity_curve == []
    assert result.metrics.final_equity == Decimal(10000) and result.metrics.sharpe_ratio is None
