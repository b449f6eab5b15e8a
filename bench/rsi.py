"""RSI(14) over 1,000,000 closes: the numpy version beside a straightforward per-element Python
loop in the same run (and TA-Lib when installed), plus the largest difference from the loop.
Target: reported; the ratio to the loop is printed."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from bench.report import line, median

POINTS = 1_000_000
PERIOD = 14
REPEATS = 5


def loop_rsi(closes: list[float], period: int) -> list[float]:
    out = [math.nan] * len(closes)
    if len(closes) <= period:
        return out
    gain = loss = 0.0
    for i in range(1, period + 1):
        change = closes[i] - closes[i - 1]
        if change < 0:
            loss -= change
        else:
            gain += change
    gain, loss = gain / period, loss / period
    out[period] = 0.0 if gain + loss == 0 else 100.0 * gain / (gain + loss)
    for i in range(period + 1, len(closes)):
        change = closes[i] - closes[i - 1]
        gain, loss = gain * (period - 1), loss * (period - 1)
        if change < 0:
            loss -= change
        else:
            gain += change
        gain, loss = gain / period, loss / period
        out[i] = 0.0 if gain + loss == 0 else 100.0 * gain / (gain + loss)
    return out


def _time_ms(fn: Callable[[], object], repeats: int) -> tuple[float, object]:
    samples, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - start) * 1e3)
    return median(samples), result


def main() -> None:
    from nija.domain.indicators import rsi

    closes = 100 + np.cumsum(np.random.default_rng(42).normal(0.0, 1.0, POINTS))
    as_list = closes.tolist()
    numpy_ms, vectorised = _time_ms(lambda: rsi(closes, PERIOD), REPEATS)
    loop_ms, looped = _time_ms(lambda: loop_rsi(as_list, PERIOD), 1)
    max_diff = float(np.nanmax(np.abs(np.asarray(vectorised) - np.asarray(looped))))

    print(f"RSI({PERIOD}) over {POINTS:,} closes (median of {REPEATS} runs; the loop runs once)")
    print(line("numpy (nija.domain.indicators.rsi)", numpy_ms, "ms", "reported", None))
    print(line("per-element Python loop", loop_ms, "ms", "reported", None))
    print(line("loop / numpy", loop_ms / numpy_ms, "x", "reported", None))
    print(line("max |numpy - loop| (units of 1e-12)", max_diff * 1e12, "", "<= 1000", max_diff <= 1e-9))
    try:
        import talib  # type: ignore[import-not-found]
    except ImportError:
        print("  TA-Lib                                       not installed (pip install TA-Lib to compare)")
        return
    talib_ms, reference = _time_ms(lambda: talib.RSI(closes, timeperiod=PERIOD), REPEATS)
    talib_diff = float(np.nanmax(np.abs(np.asarray(vectorised) - reference)))
    print(line("TA-Lib talib.RSI", talib_ms, "ms", "reported", None))
    print(line("numpy / TA-Lib", numpy_ms / talib_ms, "x", "reported", None))
    print(line("max |numpy - TA-Lib| (units of 1e-12)", talib_diff * 1e12, "", "<= 1000", talib_diff <= 1e-9))


if __name__ == "__main__":
    main()
