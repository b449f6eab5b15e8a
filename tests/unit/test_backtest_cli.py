"""`nija backtest`: the sample CSV, the paper feed, options, and errors on stderr with exit status 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from nija.cli import main
from nija.domain.candle_csv import parse_candles_csv
from nija.logic.backtests import BacktestOptions, run

SAMPLE = Path(__file__).parents[1] / "fixtures" / "candles" / "paper_btc_usd_5m.csv"


def nija(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["backtest", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_sample_csv_prints_a_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = nija(capsys, "--csv", str(SAMPLE))
    assert code == 0 and err == ""
    expected = run(BacktestOptions(), parse_candles_csv(SAMPLE.read_text()))
    m = expected.metrics
    assert "backtest dual_rsi on 1000 5m candles, 2025-12-28 12:40 .. 2025-12-31 23:55 UTC" in out
    rows = dict(re.findall(r"^  ([a-zA-Z ()]+?)\s{2,}(\S+)$", out, re.MULTILINE))
    assert rows["total return"] == f"{m.total_return * 100:.2f}%" and rows["trades"] == str(m.trade_count)
    assert rows["final equity"] == f"{m.final_equity:.2f}" and rows["win rate"] == f"{m.win_rate * 100:.2f}%"
    assert rows["Sharpe (annual)"] == f"{m.sharpe_ratio:.2f}" and f"last 10 of {m.trade_count} trades:" in out
    assert "rsi_overbought" in out


def test_json_is_the_whole_result_with_options_applied(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = nija(
        capsys, "--csv", str(SAMPLE), "--json", "--settings", '{"oversold": 25, "overbought": 75}',
        "--overbought", "80", "--stop-loss", "0.03", "--fee-rate", "0.0005", "--slippage", "2", "--cash", "2500",
    )  # fmt: skip
    assert code == 0
    result = json.loads(out)
    assert result["settings"] == {
        "oversold": 25,
        "midline": 50,
        "overbought": 80,
        "stop_loss": "0.03",
        "take_profit": "0.04",
    }
    assert result["costs"]["fee_rate"] == "0.0005" and result["costs"]["slippage_bps"] == "2"
    options = BacktestOptions(
        thresholds={"oversold": 25, "overbought": 80, "stop_loss": "0.03"},
        fee_rate=Decimal("0.0005"), slippage_bps=Decimal(2), cash=Decimal(2500),
    )  # fmt: skip
    assert result == json.loads(run(options, parse_candles_csv(SAMPLE.read_text())).model_dump_json())


def test_fetched_from_the_paper_feed_equals_the_sample(capsys: pytest.CaptureFixture[str]) -> None:
    fetched = nija(capsys, "--broker", "paper", "--symbol", "BTC/USD", "--timeframe", "5m", "--limit", "1000",
                   "--until", "2026-01-01T00:00:00+00:00", "--json")  # fmt: skip
    from_csv = nija(capsys, "--csv", str(SAMPLE), "--json")
    assert fetched[0] == 0 and json.loads(fetched[1]) == json.loads(from_csv[1])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give --csv PATH, or --broker with --symbol and --timeframe"),
        (("--csv", str(SAMPLE), "--broker", "paper"), "give --csv PATH"),
        (("--broker", "paper", "--symbol", "BTC/USD"), "--broker needs --symbol and --timeframe"),
        (("--csv", "/no/such/file.csv"), "cannot read /no/such/file.csv"),
        (("--csv", str(SAMPLE), "--oversold", "120"), "thresholds.oversold: Input should be less than 100"),
        (("--csv", str(SAMPLE), "--settings", "[1]"), "--settings must be a JSON object"),
        (("--csv", str(SAMPLE), "--settings", "{"), "--settings is not valid JSON"),
        (("--csv", str(SAMPLE), "--cash", "-5"), "--cash: Input should be greater than 0"),
        (("--csv", str(SAMPLE), "--strategy", "macd"), "unknown strategy 'macd'"),
        (
            ("--broker", "paper", "--symbol", "BTC/USD", "--timeframe", "5m", "--limit", "0"),
            "limit must be between",
        ),
        (
            ("--broker", "paper", "--symbol", "BTC/USD", "--timeframe", "5m", "--until", "soon"),
            "--until is not an ISO",
        ),
    ],
)
def test_errors_exit_2_with_the_reason(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = nija(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("nija backtest: error: ") and message in err, err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        # the same bounds as POST /v1/backtests, from the same use case (nija.logic.backtests)
        (("--until", "0001-01-02T00:00:00"), "until is before 1970-01-01"),
        (("--until", "0001-01-02T00:00:00", "--limit", "5000"), "until is before 1970-01-01"),
        (("--until", "9999-12-31T23:59:59-05:00"), "until is in the future"),
        (("--until", "0001-01-01T00:00:00+05:00"), "until is before 1970-01-01"),
        (("--until", "1970-01-03T00:00:00Z", "--limit", "5000"), "would start before 1970-01-01"),
        (("--limit", "1"), "limit must be between 2 and 5000"),
    ],
)
def test_a_window_of_candles_that_cannot_exist_exits_2(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    code, out, err = nija(capsys, "--broker", "paper", "--symbol", "BTC/USD", "--timeframe", "1d", *argv)
    assert code == 2 and out == ""
    assert err.startswith("nija backtest: error: ") and message in err, err


@pytest.mark.parametrize(
    ("stamps", "when"),
    [
        (("1969-12-30T00:00:00Z", "1969-12-31T00:00:00Z"), "before 1970-01-01"),
        (("4102358400000", "4102444800000"), "in the future"),
    ],
)
def test_a_csv_candle_that_cannot_exist_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stamps: tuple[str, str], when: str
) -> None:
    """A CSV file goes through the same check as inline candles over the API: no candle opened
    before 1970 or after now (2099-12-31 and 2100-01-01 in epoch milliseconds)."""
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n" + "".join(f"{t},1,1,1,1,1\n" for t in stamps))
    code, out, err = nija(capsys, "--csv", str(bad))
    assert code == 2 and out == ""
    assert "candles.0.timestamp" in err and when in err, err


def test_a_csv_time_out_of_range_in_utc_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Year 1 east of UTC overflowed converting to UTC: a traceback, not a message."""
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n0001-01-01T00:00:00+01:00,1,1,1,1,1\n")
    code, _, err = nija(capsys, "--csv", str(bad))
    assert code == 2 and "line 2: timestamp: out of range in UTC" in err, err


def test_a_bad_csv_line_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE.read_text().replace("2025-12-28T12:45:00Z", "2025-12-28T12:40:00Z", 1))
    code, _, err = nija(capsys, "--csv", str(bad))
    assert code == 2 and f"{bad}: line 3: timestamp 2025-12-28T12:40:00+00:00 is not after" in err


def test_the_installed_command_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "nija.cli", "backtest", "--csv", str(SAMPLE), "--show-trades", "0"],
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Sharpe (annual)" in done.stdout and "trades:" not in done.stdout
