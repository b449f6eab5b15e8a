"""The backtest use case, shared by `nija backtest` and POST /v1/backtests: validate what to run, get
the candles (given, or fetched through the MarketData port), and replay the strategy over them
(nija.domain.backtest has the rules and the metrics)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationError

from nija.domain.backtest import BacktestCosts, BacktestResult, check_series, run_backtest
from nija.domain.candle_csv import infer_timeframe
from nija.domain.errors import InvalidInput
from nija.domain.market import TIMEFRAME_SECONDS, Candle, closed_window
from nija.domain.models import EARLIEST, Frozen, Money, utcnow
from nija.domain.strategies import DEFAULT_STRATEGY, get_strategy, parse_settings
from nija.ports.market_data import MarketData

MIN_CANDLES = 2  # a backtest decides on a candle's close and fills at the next one's open
MAX_FETCH = 5000  # candles fetched for one backtest at most (the paper feed's limit too)


class BacktestOptions(Frozen):
    """What to replay and at what cost. `thresholds` are the strategy's settings (for dual_rsi:
    oversold, midline, overbought, stop_loss, take_profit); omitted ones take their defaults."""

    strategy: str = Field(DEFAULT_STRATEGY, description="strategy name, e.g. dual_rsi")
    thresholds: dict[str, Any] | None = Field(
        None, description="the strategy's settings; defaults if omitted"
    )
    fee_rate: Money = Field(
        Decimal("0.001"), ge=0, le=Decimal("0.1"), description="fee per fill, of notional"
    )
    slippage_bps: Money = Field(
        Decimal("5"), ge=0, le=1000, description="fill price moved against you, in bps"
    )
    cash: Money = Field(
        Decimal("10000"), gt=0, le=Decimal("1e15"), description="starting cash (quote currency)"
    )
    position_share: Money = Field(Decimal("0.05"), gt=0, le=1, description="share of equity an entry buys")

    def costs(self) -> BacktestCosts:
        return BacktestCosts(
            cash=self.cash,
            fee_rate=self.fee_rate,
            slippage_bps=self.slippage_bps,
            position_share=self.position_share,
        )


def strategy_settings(strategy: str, thresholds: dict[str, Any] | None) -> Any:
    """The strategy's settings model from `thresholds`; a bad value is an InvalidInput naming it
    (thresholds.<name>)."""
    chosen = get_strategy(strategy)
    try:
        return parse_settings(chosen, thresholds or {})
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in ("thresholds", *first["loc"]))
        message = str(first["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"{name}: {message}", field=name) from None


def run(options: BacktestOptions, candles: list[Candle], timeframe: str | None = None) -> BacktestResult:
    """Replay `options.strategy` over `candles` (oldest first, closed); the timeframe is inferred
    from the candles' spacing when not given."""
    if not candles:
        raise InvalidInput("no candles to backtest", field="candles")
    if len(candles) < MIN_CANDLES:
        raise InvalidInput(f"a backtest needs at least {MIN_CANDLES} candles", field="candles")
    check_candles_exist(candles, utcnow())
    check_series(candles)
    if timeframe is None:
        timeframe = infer_timeframe(candles)
    elif timeframe not in TIMEFRAME_SECONDS:
        raise InvalidInput(f"timeframe must be one of {', '.join(TIMEFRAME_SECONDS)}", field="timeframe")
    strategy = get_strategy(options.strategy)
    settings = strategy_settings(options.strategy, options.thresholds)
    return run_backtest(strategy, settings, candles, timeframe, options.costs())


def check_candles_exist(candles: list[Candle], now: datetime) -> None:
    """No candle opened before the epoch or after now: a series that says otherwise is not market
    data (inline over the API, or a CSV file), and the engine's time arithmetic would not hold."""
    for n, candle in enumerate(candles):
        at = _aware(candle.timestamp)
        if not EARLIEST <= at <= now:
            when = f"before {EARLIEST:%Y-%m-%d}" if at < EARLIEST else "in the future"
            raise InvalidInput(
                f"candles.{n}.timestamp: {at.isoformat()} is {when}: no such candle exists",
                field=f"candles.{n}.timestamp",
            )


def fetch_candles(
    market: MarketData, symbol: str, timeframe: str, limit: int, until: datetime | None = None
) -> list[Candle]:
    """The last `limit` closed candles up to `until` (now when None), through the MarketData port.
    Only candles that can exist: `until` from EARLIEST to now, a window that starts at EARLIEST or
    later (closed_window refuses one reaching back before it)."""
    if timeframe not in TIMEFRAME_SECONDS:
        raise InvalidInput(f"timeframe must be one of {', '.join(TIMEFRAME_SECONDS)}", field="timeframe")
    if not MIN_CANDLES <= limit <= MAX_FETCH:
        raise InvalidInput(f"limit must be between {MIN_CANDLES} and {MAX_FETCH}", field="limit")
    now = utcnow()
    if until is not None:
        until = _aware(until)
        if until > now:
            raise InvalidInput("until is in the future: no candle has closed there yet", field="until")
        if until < EARLIEST:
            raise InvalidInput(f"until is before {EARLIEST:%Y-%m-%d}: no candle had closed", field="until")
    closed_window(timeframe, limit, until or now)
    candles = market.candles(symbol, timeframe, limit, until)
    if not candles:
        raise InvalidInput(f"no candles for {symbol} {timeframe}", field="symbol")
    return candles


def _aware(at: datetime) -> datetime:
    # Naive means UTC. No conversion: an offset on year 1 or 9999 would overflow (compared, it does not).
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at
