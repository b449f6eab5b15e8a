"""`nija backtest`: the strategy replayed over candles from a CSV file or fetched from a broker, with
fees and slippage (nija.logic.backtests, the same code as POST /v1/backtests).

    nija backtest --csv tests/fixtures/candles/paper_btc_usd_5m.csv
    nija backtest --broker paper --symbol ETH/USD --timeframe 15m --limit 2000 --oversold 25 --json

Prints a summary and the last trades, or with --json the whole result (every trade, the equity per
bar). Exit status 2 on bad input, with the reason on stderr. This module is light to import; the
engine loads when the command runs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nija.domain.market import TIMEFRAME_SECONDS
from nija.domain.models import BrokerName
from nija.domain.money import fmt

if TYPE_CHECKING:
    from nija.domain.backtest import BacktestResult
    from nija.domain.market import Candle

THRESHOLDS = ("oversold", "midline", "overbought", "stop_loss", "take_profit")


class UsageError(Exception):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("candles: --csv, or --broker with --symbol and --timeframe")
    source.add_argument(
        "--csv", metavar="PATH", help="timestamp,open,high,low,close,volume (ISO-8601 or epoch ms)"
    )
    source.add_argument("--broker", choices=[b.value for b in BrokerName], help="fetch from its market data")
    source.add_argument("--symbol", help="unified symbol, e.g. BTC/USD")
    source.add_argument("--timeframe", choices=list(TIMEFRAME_SECONDS), help="inferred from a CSV if omitted")
    source.add_argument(
        "--limit", type=int, default=1000, help="candles to fetch (default 1000, at most 5000)"
    )
    source.add_argument("--until", help="fetch candles closed by this ISO time (default: now)")
    strategy = parser.add_argument_group("strategy")
    strategy.add_argument("--strategy", default="dual_rsi", help="default dual_rsi")
    strategy.add_argument("--settings", metavar="JSON", help="thresholds as JSON, e.g. '{\"oversold\": 25}'")
    strategy.add_argument("--oversold", type=float, help="RSI_9 an entry crosses up through (default 30)")
    strategy.add_argument("--midline", type=float, help="RSI_14 must be below it to enter (default 50)")
    strategy.add_argument("--overbought", type=float, help="RSI_9 at or above it exits (default 70)")
    strategy.add_argument("--stop-loss", help="exit at this fractional loss (default 0.02)")
    strategy.add_argument("--take-profit", help="exit at this fractional gain (default 0.04)")
    costs = parser.add_argument_group("costs and size (defaults: the paper broker's, 5%% positions)")
    costs.add_argument("--fee-rate", help="fee per fill as a fraction of its notional (default 0.001)")
    costs.add_argument(
        "--slippage-bps", "--slippage", dest="slippage_bps", help="in basis points (default 5)"
    )
    costs.add_argument("--cash", help="starting cash in the quote currency (default 10000)")
    costs.add_argument("--position-share", help="share of equity an entry buys (default 0.05)")
    output = parser.add_argument_group("output")
    output.add_argument("--json", action="store_true", help="print the whole result as JSON")
    output.add_argument("--show-trades", type=int, default=10, metavar="N", help="last N trades (default 10)")


def run(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from nija.domain.errors import NijaError
    from nija.logic import backtests

    try:
        options = backtests.BacktestOptions(**_options(args))
        result = backtests.run(options, _candles(args), args.timeframe)
    except UsageError as exc:
        return _fail(str(exc))
    except NijaError as exc:
        return _fail(exc.message)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"]).replace("_", "-")
        return _fail(f"--{name}: {str(first['msg']).removeprefix('Value error, ')}")
    text = result.model_dump_json(indent=2) if args.json else summary(result, args.show_trades)
    try:
        print(text, flush=True)
    except BrokenPipeError:  # piped into `head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _fail(message: str) -> int:
    print(f"nija backtest: error: {message}", file=sys.stderr)
    return 2


def _options(args: argparse.Namespace) -> dict[str, Any]:
    thresholds: dict[str, Any] = {}
    if args.settings:
        try:
            thresholds = json.loads(args.settings)
        except json.JSONDecodeError as exc:
            raise UsageError(f"--settings is not valid JSON: {exc}") from None
        if not isinstance(thresholds, dict):
            raise UsageError('--settings must be a JSON object, e.g. {"oversold": 25}')
    thresholds.update({k: getattr(args, k) for k in THRESHOLDS if getattr(args, k) is not None})
    options: dict[str, Any] = {"strategy": args.strategy, "thresholds": thresholds}
    for name in ("fee_rate", "slippage_bps", "cash", "position_share"):
        if getattr(args, name) is not None:
            options[name] = getattr(args, name)
    return options


def _candles(args: argparse.Namespace) -> list[Candle]:
    from nija.logic import backtests

    if (args.csv is None) == (args.broker is None):
        raise UsageError("give --csv PATH, or --broker with --symbol and --timeframe")
    if args.csv is not None:
        from nija.domain.candle_csv import parse_candles_csv
        from nija.domain.errors import InvalidInput

        try:
            with open(args.csv, encoding="utf-8") as f:
                text = f.read()
        except OSError as exc:
            raise UsageError(f"cannot read {args.csv}: {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UsageError(f"{args.csv} is not UTF-8 text") from None
        try:
            return parse_candles_csv(text)
        except InvalidInput as exc:
            raise UsageError(f"{args.csv}: {exc.message}") from None
    if not args.symbol or not args.timeframe:
        raise UsageError("--broker needs --symbol and --timeframe")
    until = None
    if args.until:
        try:
            until = datetime.fromisoformat(args.until)
        except ValueError:
            raise UsageError(f"--until is not an ISO time: {args.until!r}") from None
        until = until if until.tzinfo else until.replace(tzinfo=UTC)
    from nija import wiring

    market = wiring.market_data(BrokerName(args.broker))
    return backtests.fetch_candles(market, args.symbol, args.timeframe, args.limit, until)


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{value * 100:.2f}%"


def summary(result: BacktestResult, show_trades: int = 10) -> str:
    m, c = result.metrics, result.costs
    span = (
        f"{result.start:%Y-%m-%d %H:%M} .. {result.end:%Y-%m-%d %H:%M} UTC" if result.start else "no candles"
    )
    sharpe = "n/a" if m.sharpe_ratio is None else f"{m.sharpe_ratio:.2f}"
    rows = [
        f"backtest {result.strategy} on {result.bars} {result.timeframe} candles, {span}",
        f"fee {fmt(c.fee_rate * 100)}% a fill, slippage {fmt(c.slippage_bps)} bps, "
        f"entries {fmt(c.position_share * 100)}% of equity; thresholds {json.dumps(result.settings)}",
        "",
        f"  {'initial cash':<18}{m.initial_cash:>16.2f}",
        f"  {'final equity':<18}{m.final_equity:>16.2f}",
        f"  {'total return':<18}{_pct(m.total_return):>16}",
        f"  {'max drawdown':<18}{_pct(m.max_drawdown):>16}",
        f"  {'trades':<18}{m.trade_count:>16}",
        f"  {'win rate':<18}{_pct(m.win_rate):>16}",
        f"  {'fees paid':<18}{m.total_fees:>16.2f}",
        f"  {'Sharpe (annual)':<18}{sharpe:>16}",
    ]
    if result.open_position is not None:
        p = result.open_position
        rows.append(
            f"  {'open position':<18}{p.quantity:>16} at {p.entry_price:.2f}, pnl {p.unrealized_pnl:.2f}"
        )
    shown = result.trades[-show_trades:] if show_trades > 0 else []
    if shown:
        rows += ["", f"last {len(shown)} of {m.trade_count} trades:"]
        rows.append(f"  {'entry (UTC)':<17}{'exit (UTC)':<17}{'quantity':>12}{'entry':>12}{'exit':>12}"
                    f"{'fee':>9}{'pnl':>10}  exit reason")  # fmt: skip
        for t in shown:
            rows.append(
                f"  {t.entry_time:%Y-%m-%d %H:%M}  {t.exit_time:%Y-%m-%d %H:%M}  {t.quantity:>11}"
                f"{t.entry_price:>12.2f}{t.exit_price:>12.2f}{t.fee:>9.2f}{t.pnl:>10.2f}  {t.exit_reason}"
            )
    return "\n".join(rows)
