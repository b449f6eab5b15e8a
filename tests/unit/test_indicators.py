"""RSI against a plain sequential reference of the standard (TA-Lib) definition."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nija.domain.indicators import rsi

TOLERANCE = 1e-9


def reference_rsi(closes: list[float], period: int) -> list[float]:
    """Wilder's RSI one element at a time, in TA_RSI's order of operations."""
    out = [math.nan] * len(closes)
    if len(closes) <= period:
        return out
    gain = loss = 0.0
    for i in range(1, len(closes)):
        change = closes[i] - closes[i - 1]
        if i <= period:
            if change < 0:
                loss -= change
            else:
                gain += change
            if i < period:
                continue
            gain /= period
            loss /= period
        else:
            gain, loss = gain * (period - 1), loss * (period - 1)
            if change < 0:
                loss -= change
            else:
                gain += change
            gain, loss = gain / period, loss / period
        out[i] = 0.0 if gain + loss == 0 else 100.0 * gain / (gain + loss)
    return out


def random_walk(n: int, seed: int, start: float = 100.0, scale: float = 1.0) -> np.ndarray:
    return start + np.cumsum(np.random.default_rng(seed).normal(0.0, scale, n))


def assert_matches(actual: np.ndarray, expected: list[float] | np.ndarray) -> None:
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(actual), np.isnan(expected))
    if (~np.isnan(expected)).any():
        assert np.nanmax(np.abs(actual - expected)) <= TOLERANCE


@pytest.mark.parametrize("period", [2, 9, 14, 50])
def test_long_random_walk_matches_reference(period: int) -> None:
    closes = random_walk(100_000, seed=period)
    assert_matches(rsi(closes, period), reference_rsi(closes.tolist(), period))


@pytest.mark.slow
@pytest.mark.parametrize("period", [9, 14])
def test_million_points_match_reference(period: int) -> None:
    closes = random_walk(1_000_000, seed=7)
    assert_matches(rsi(closes, period), reference_rsi(closes.tolist(), period))


def test_large_period_spans_many_blocks() -> None:
    closes = random_walk(30_000, seed=3)
    assert_matches(rsi(closes, 5_000), reference_rsi(closes.tolist(), 5_000))


def test_tiny_and_huge_price_scales() -> None:
    for start, scale in ((1e-6, 1e-9), (1e7, 1e3)):
        closes = random_walk(20_000, seed=11, start=start, scale=scale)
        assert_matches(rsi(closes, 14), reference_rsi(closes.tolist(), 14))


@pytest.mark.parametrize("period", [9, 14])
def test_warm_up_is_period_nans(period: int) -> None:
    out = rsi(random_walk(100, seed=1), period)
    assert np.isnan(out[:period]).all()
    assert not np.isnan(out[period:]).any()


@pytest.mark.parametrize("length", [0, 1, 9, 14])
def test_too_short_is_all_nan(length: int) -> None:
    out = rsi(random_walk(length, seed=1), 14)
    assert out.shape == (length,)
    assert np.isnan(out).all()


def test_exactly_period_plus_one_gives_one_value() -> None:
    closes = random_walk(15, seed=5)
    out = rsi(closes, 14)
    assert np.isnan(out[:14]).all()
    assert_matches(out, reference_rsi(closes.tolist(), 14))


def test_constant_series_is_zero_as_in_ta_lib() -> None:
    out = rsi([5.0] * 30, 14)
    assert (out[14:] == 0.0).all()


def test_monotonic_up_is_100_and_down_is_0() -> None:
    up = rsi(np.arange(1.0, 40.0), 9)
    down = rsi(np.arange(40.0, 1.0, -1.0), 9)
    assert (up[9:] == 100.0).all()
    assert (down[9:] == 0.0).all()


def test_flat_after_moves_keeps_its_last_value() -> None:
    closes = np.concatenate([random_walk(100, seed=2), np.full(5_000, 50.0)])
    out = rsi(closes, 14)
    assert_matches(out, reference_rsi(closes.tolist(), 14))
    assert out[-1] == pytest.approx(out[110], abs=TOLERANCE)


def test_leading_nans_are_skipped() -> None:
    closes = random_walk(40, seed=4)
    padded = np.concatenate([[np.nan, np.nan, np.nan], closes])
    out = rsi(padded, 9)
    assert np.isnan(out[: 3 + 9]).all()
    assert_matches(out[3:], rsi(closes, 9))


def test_interior_nan_poisons_what_follows() -> None:
    closes = random_walk(60, seed=6)
    closes[30] = np.nan
    out = rsi(closes, 9)
    assert not np.isnan(out[9:30]).any()
    assert np.isnan(out[30:]).all()
    assert_matches(out[:30], rsi(closes[:30], 9))


def test_all_nan_is_all_nan() -> None:
    assert np.isnan(rsi([math.nan] * 20, 5)).all()


def test_accepts_decimals_and_lists() -> None:
    closes = [Decimal("100.5"), Decimal("101.25"), Decimal("100.75"), Decimal("102"), Decimal("101")]
    assert_matches(rsi(closes, 2), reference_rsi([float(c) for c in closes], 2))


@pytest.mark.parametrize("period", [0, 1, 100_001])
def test_period_out_of_range(period: int) -> None:
    with pytest.raises(ValueError, match="period"):
        rsi([1.0, 2.0, 3.0], period)


def test_rejects_two_dimensional_input() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        rsi(np.ones((3, 20)), 2)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=1e6, allow_nan=False), min_size=0, max_size=300),
    st.integers(min_value=2, max_value=30),
)
def test_bounds_warm_up_and_reference(closes: list[float], period: int) -> None:
    out = rsi(closes, period)
    assert out.shape == (len(closes),)
    assert np.isnan(out[: min(period, len(closes))]).all()
    values = out[period:]
    assert not np.isnan(values).any()
    assert ((values >= 0.0) & (values <= 100.0)).all()
    assert_matches(out, reference_rsi(closes, period))


def test_agrees_with_ta_lib_when_installed() -> None:
    talib = pytest.importorskip("talib")
    closes = random_walk(100_000, seed=8)
    for period in (2, 9, 14):
        assert_matches(rsi(closes, period), talib.RSI(closes, timeperiod=period))
    for edge in ([5.0] * 30, list(range(30)), list(range(30, 0, -1)), [1.0] * 15):
        edge_closes = np.asarray(edge, dtype=np.float64)
        assert_matches(rsi(edge_closes, 14), talib.RSI(edge_closes, timeperiod=14))
