"""Technical indicators over close prices, vectorised with numpy. Pure: no I/O, no clock.

Indicators are signals, not money: they work in float64. Decimal closes are accepted and
converted at the boundary.

`rsi` follows TA-Lib's TA_RSI (src/ta_func/ta_RSI.c, default "classic" compatibility, no
unstable period):
- change_t = close_t - close_{t-1}; a negative change is a loss, anything else (zero too) a gain.
- Seed: avg_gain and avg_loss are the simple means of the first `period` gains and losses,
  which gives the first value at index `period` (TA_RSI_Lookback(period) == period), so the
  output starts with `period` NaNs; fewer than `period + 1` closes give only NaN.
- Then Wilder's smoothing: avg = (avg * (period - 1) + x) / period.
- RSI = 100 * avg_gain / (avg_gain + avg_loss): 100 when there are no losses; 0 (not 50)
  when there are neither gains nor losses, e.g. a flat series (TA-Lib writes 0.0 when
  TA_IS_ZERO(avg_gain + avg_loss)). TA-Lib's zero test uses an epsilon (absolute 1e-8 in the
  0.4/0.6 C library, scale-aware in 0.8); here it is exact zero, so an asset priced in
  fractions of a cent is never read as flat.
- NaN: leading NaNs are skipped and the warm-up starts at the first number, as the talib
  Python wrapper does. A NaN after that makes its RSI and every later one NaN, as the 0.4/0.6
  C code does; TA-Lib 0.8.1 writes 0.0 there instead, which a strategy would read as deeply
  oversold, so that is deliberately not copied.
- `period` must be 2 to 100,000, as in TA-Lib.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy loads with the first computation: the API functions import strategies for
    # their settings' schemas only, and numpy is about a quarter of trading_api's cold start
    import numpy as np
    import numpy.typing as npt

MIN_PERIOD = 2
MAX_PERIOD = 100_000

# Block length bounds for the blocked recurrence (see `wilder_smooth`): inside a block the
# weights beta**-k must stay far from overflow, and a long block adds cumsum rounding.
_MAX_BLOCK = 2048
_MAX_LOG_SCALE = 200.0  # beta**-block <= e**200 (about 1e87)

Closes = Sequence[float] | Sequence[Decimal] | Any  # or a numpy array


def rsi(closes: Closes, period: int) -> npt.NDArray[np.float64]:
    """Wilder's RSI of `closes`, aligned with them: out[i] is the RSI at close i, NaN during the
    warm-up (the first `period` values after any leading NaNs). See the module docstring."""
    import numpy as np

    if not MIN_PERIOD <= period <= MAX_PERIOD:
        raise ValueError(f"period must be between {MIN_PERIOD} and {MAX_PERIOD}, got {period}")
    values = np.asarray(closes, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"closes must be one-dimensional, got shape {values.shape}")
    out = np.full(values.shape, np.nan)
    start = 0
    if values.size and math.isnan(values[0]):
        finite = np.flatnonzero(~np.isnan(values))
        if finite.size == 0:
            return out
        start = int(finite[0])
    series = values[start:]
    if series.size <= period:
        return out

    change = np.diff(series)
    both = np.empty((2, change.size))
    # maximum() propagates NaN: a NaN change poisons the gains, and so every later RSI (TA-Lib).
    np.maximum(change, 0.0, out=both[0])
    np.negative(change, out=both[1])
    np.maximum(both[1], 0.0, out=both[1])
    seed = both[:, :period].mean(axis=1)
    smoothed = wilder_smooth(both[:, period:], seed, period)

    _ratio(seed[0:1], seed[1:2], out[start + period : start + period + 1])
    _ratio(smoothed[0], smoothed[1], out[start + period + 1 :])
    return out


def _ratio(
    gain: npt.NDArray[np.float64], loss: npt.NDArray[np.float64], out: npt.NDArray[np.float64]
) -> None:
    """out = 100 * gain / (gain + loss), 0 where both are zero. `loss` is overwritten."""
    import numpy as np

    total = np.add(gain, loss, out=loss)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(gain, total, out=out)
    out *= 100.0
    out[total == 0.0] = 0.0


def wilder_smooth(
    x: npt.NDArray[np.float64], seed: npt.NDArray[np.float64], period: int
) -> npt.NDArray[np.float64]:
    """Row-wise y_t = beta * y_{t-1} + alpha * x_t with y_{-1} = seed, alpha = 1/period and
    beta = 1 - alpha, for x of shape (rows, n) and seed of shape (rows,).

    The recurrence is sequential; it is solved in blocks. Inside a block of length B starting
    from zero, y_k = beta**k * cumsum(alpha * x_j * beta**-j): one cumsum, no Python loop. A
    closed form over the whole series would need beta**-t for t up to a million, which
    overflows; inside a block the scale is bounded by _MAX_LOG_SCALE, and gains and losses are
    never negative, so the cumsum has no cancellation and keeps its relative precision. The
    blocks are then chained by carrying each block's last value into the next (one scalar step
    per block: y_block += beta**(k+1) * carry).
    """
    import numpy as np

    rows, n = x.shape
    if n == 0:
        return np.empty((rows, 0))
    alpha = 1.0 / period
    beta = 1.0 - alpha
    log_beta = math.log(beta)
    block = max(1, min(_MAX_BLOCK, int(_MAX_LOG_SCALE / -log_beta), n))
    blocks = -(-n // block)
    padded = np.zeros((rows, blocks * block))
    padded[:, :n] = x
    tiles = padded.reshape(rows, blocks, block)

    k = np.arange(block, dtype=np.float64)
    down = np.exp(k * log_beta)  # beta**k
    up = np.exp(-k * log_beta)  # beta**-k
    tiles *= alpha * up
    np.cumsum(tiles, axis=2, out=tiles)
    tiles *= down

    decay = math.exp(block * log_beta)  # beta**block
    carries = np.empty((rows, blocks))
    ends = tiles[:, :, -1]
    for r in range(rows):
        carry = float(seed[r])
        row_carries, row_ends = carries[r], ends[r].tolist()
        for b in range(blocks):
            row_carries[b] = carry
            carry = row_ends[b] + decay * carry
    tiles += carries[:, :, None] * (down * beta)
    return padded[:, :n]
