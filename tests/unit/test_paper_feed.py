"""The deterministic paper feed: pure in (seed, symbol, time), aligned candles, prices that swing."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from nija.adapters.paper.feed import PaperFeed
from nija.domain.errors import InvalidInput
from nija.domain.instruments import INSTRUMENTS
from nija.domain.market import TIMEFRAME_SECONDS
from nija.domain.models import BrokerName
from nija.domain.money import decimal_places

SYMBOLS = sorted(INSTRUMENTS[BrokerName.PAPER])
T0 = datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def wilder_rsi(closes: list[Decimal], period: int) -> list[Decimal]:
    gains = [max(b - a, Decimal(0)) for a, b in itertools.pairwise(closes)]
    losses = [max(a - b, Decimal(0)) for a, b in itertools.pairwise(closes)]
    avg_gain, avg_loss = sum(gains[:period]) / period, sum(losses[:period]) / period
    out = []
    for gain, loss in zip(gains[period:], losses[period:], strict=True):
        avg_gain = (avg_gain * (period - 1) + gain) / period
        avg_loss = (avg_loss * (period - 1) + loss) / period
        out.append(Decimal(100) if avg_loss == 0 else 100 - 100 / (1 + avg_gain / avg_loss))
    return out


def test_same_seed_same_prices_across_instances_and_clocks() -> None:
    a, b = PaperFeed(7), PaperFeed(7, clock=lambda: T0 + timedelta(days=3))
    for symbol in SYMBOLS:
        for minutes in (0, 1, 7, 333, 10_000):
            at = T0 + timedelta(minutes=minutes, seconds=13)
            assert a.price(symbol, at) == b.price(symbol, at)
    assert a.candles("BTC/USD", "5m", 50, T0) == b.candles("BTC/USD", "5m", 50, T0)


def test_seed_and_symbol_change_the_path() -> None:
    prices = [PaperFeed(seed).price("ETH/USD", T0 + timedelta(hours=h)) for seed in (1, 2) for h in range(5)]
    assert prices[:5] != prices[5:]
    ratios = {
        s: PaperFeed(7).price(s, T0 + timedelta(hours=3)) / PaperFeed(7).price(s, T0)
        for s in ("BTC/USD", "SOL/USD")
    }
    assert ratios["BTC/USD"] != ratios["SOL/USD"]


def test_identical_in_another_process_with_another_hash_seed() -> None:
    code = (
        "from datetime import datetime, UTC; from nija.adapters.paper.feed import PaperFeed; "
        "f = PaperFeed(7); t = datetime(2026, 5, 10, 12, 0, 0, tzinfo=UTC); "
        "print([str(f.price(s, t)) for s in ('BTC/USD', 'DOGE/USD', 'AAPL/USD')])"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, cwd=ROOT
    )
    here = PaperFeed(7)
    assert out.stdout.strip() == str([str(here.price(s, T0)) for s in ("BTC/USD", "DOGE/USD", "AAPL/USD")])


def test_price_uses_the_clock_and_naive_times_are_utc() -> None:
    feed = PaperFeed(7, clock=lambda: T0)
    assert feed.price("BTC/USD") == feed.price("BTC/USD", T0)
    assert feed.price("BTC/USD", T0.replace(tzinfo=None)) == feed.price("BTC/USD", T0)


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_prices_positive_and_quantized_to_the_instrument(symbol: str) -> None:
    feed = PaperFeed(7)
    decimals = INSTRUMENTS[BrokerName.PAPER][symbol].price_decimals
    for hours in range(0, 24 * 30, 7):
        price = feed.price(symbol, T0 + timedelta(hours=hours, minutes=hours % 60))
        assert price > 0
        assert decimal_places(price) <= decimals
        assert price.as_tuple().exponent == -decimals


@pytest.mark.parametrize("timeframe", sorted(TIMEFRAME_SECONDS))
def test_candles_are_closed_aligned_and_oldest_first(timeframe: str) -> None:
    step = TIMEFRAME_SECONDS[timeframe]
    until = T0 + timedelta(seconds=step * 3 + 17)
    candles = PaperFeed(7).candles("SOL/USD", timeframe, 20, until)
    assert len(candles) == 20
    stamps = [int(c.timestamp.timestamp()) for c in candles]
    assert all(s % step == 0 for s in stamps)
    assert all(b - a == step for a, b in itertools.pairwise(stamps))
    assert (
        candles[-1].timestamp + timedelta(seconds=step)
        <= until
        < candles[-1].timestamp + timedelta(seconds=2 * step)
    )
    assert all(c.timestamp.tzinfo is not None for c in candles)


def test_a_bar_ending_exactly_at_until_is_closed() -> None:
    until = T0  # aligned to every timeframe up to 1h
    last = PaperFeed(7).candles("BTC/USD", "5m", 1, until)[-1]
    assert last.timestamp == T0 - timedelta(minutes=5)


def test_candle_ohlc_is_consistent_with_price() -> None:
    feed = PaperFeed(3)
    candles = feed.candles("DOGE/USD", "15m", 40, T0)
    for c in candles:
        assert c.low <= min(c.open, c.close) <= max(c.open, c.close) <= c.high
        assert c.low > 0 and c.volume > 0
        assert c.open == feed.price("DOGE/USD", c.timestamp)
        assert c.close == feed.price("DOGE/USD", c.timestamp + timedelta(minutes=15))
    assert all(a.close == b.open for a, b in itertools.pairwise(candles))
    assert feed.candles("DOGE/USD", "15m", 40, T0) == candles  # volume is deterministic too


def test_bad_inputs_are_invalid_input() -> None:
    feed = PaperFeed(7)
    with pytest.raises(InvalidInput):
        feed.price("NOPE/USD", T0)
    with pytest.raises(InvalidInput):
        feed.candles("BTC/USDT", "5m", 10, T0)
    with pytest.raises(InvalidInput):
        feed.candles("BTC/USD", "7m", 10, T0)
    with pytest.raises(InvalidInput):
        feed.candles("BTC/USD", "5m", 0, T0)


@pytest.mark.parametrize(
    "until", [datetime(1, 1, 2, tzinfo=UTC), datetime(1970, 1, 3, tzinfo=UTC), datetime(1969, 6, 1)]
)
def test_a_window_before_the_epoch_is_invalid_input_naming_limit(until: datetime) -> None:
    """No candle opened before 1970: a window reaching back past it was a negative epoch (year 1
    with 5000 candles: ValueError, 'year -13 is out of range', a 500 wherever it was asked)."""
    with pytest.raises(InvalidInput) as refused:
        PaperFeed(7).candles("BTC/USD", "1d", 5000, until)
    assert refused.value.field == "limit"
    assert PaperFeed(7).candles("BTC/USD", "1d", 2, datetime(1970, 1, 3, tzinfo=UTC))[0].timestamp == (
        datetime(1970, 1, 1, tzinfo=UTC)
    )


@pytest.mark.parametrize("symbol", SYMBOLS)
def test_rsi_on_5m_candles_crosses_30_and_70_within_a_day(symbol: str) -> None:
    for seed in (7, 11):
        candles = PaperFeed(seed).candles(symbol, "5m", 288 + 20, T0)
        closes = [c.close for c in candles]
        assert max(closes) / min(closes) > Decimal("1.02")  # moves more than 2% in a day
        for period in (9, 14):
            rsi = wilder_rsi(closes, period)
            assert any(a <= 70 < b for a, b in itertools.pairwise(rsi)), (seed, period)
            assert any(a >= 30 > b for a, b in itertools.pairwise(rsi)), (seed, period)
