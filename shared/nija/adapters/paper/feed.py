"""A deterministic market-data feed for the paper broker.

`price(symbol, t)` is a closed-form, pure function of (seed, symbol, t): a base price times
exp(a few sines of different periods + smooth hash-seeded value noise). Two processes with the same
seed see the same price at the same instant, and any point in time costs O(1) to evaluate.

The waveform is computed in binary floating point (it is only a shape) and turned into a Decimal
through a fixed 12-decimal text form, then quantized to the instrument's price decimals: every
money value that leaves this module is a Decimal.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache

from nija.domain.errors import InvalidInput
from nija.domain.instruments import Instrument, instrument
from nija.domain.market import TIMEFRAME_SECONDS, Candle, closed_window
from nija.domain.models import BrokerName, utcnow
from nija.domain.money import quantize

# Reference prices; a paper instrument missing here trades around DEFAULT_BASE.
BASE_PRICES: dict[str, Decimal] = {
    "BTC/USD": Decimal("65000"),
    "ETH/USD": Decimal("3200"),
    "SOL/USD": Decimal("150"),
    "DOGE/USD": Decimal("0.15"),
    "AAPL/USD": Decimal("190"),
}
DEFAULT_BASE = Decimal("100")
# Base-asset volume traded per minute, on average.
BASE_VOLUME_PER_MINUTE: dict[str, Decimal] = {
    "BTC/USD": Decimal("2"),
    "ETH/USD": Decimal("30"),
    "SOL/USD": Decimal("400"),
    "DOGE/USD": Decimal("500000"),
    "AAPL/USD": Decimal("3000"),
}
DEFAULT_VOLUME = Decimal("100")

# (period in seconds, amplitude of the log price). The hour-scale waves move 5m RSI to its extremes.
_WAVES: tuple[tuple[float, float], ...] = (
    (7 * 86400.0, 0.06),
    (86400.0, 0.02),
    (19020.0, 0.012),
    (7980.0, 0.010),
    (2820.0, 0.004),
)
# (knot spacing in seconds, amplitude): smooth value noise, like a bounded random walk.
_NOISE: tuple[tuple[int, float], ...] = ((1800, 0.006), (300, 0.0015), (60, 0.0006))
_CANDLE_SAMPLES = 6  # price samples inside a bar besides its open
MAX_CANDLES = 5000


def _unit(seed: int, symbol: str, *parts: object) -> float:
    """A uniform number in [-1, 1) from a stable hash (never Python's salted hash())."""
    text = "|".join((str(seed), symbol, *(str(p) for p in parts)))
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**63 - 1.0


@lru_cache(maxsize=65536)
def _knot(seed: int, symbol: str, octave: int, k: int) -> float:
    return _unit(seed, symbol, "knot", octave, k)


@lru_cache(maxsize=256)
def _shape(seed: int, symbol: str) -> tuple[tuple[float, float, float], ...]:
    """Per symbol: each wave's (angular frequency, amplitude, phase), periods jittered by ±15%."""
    waves = []
    for i, (period, amplitude) in enumerate(_WAVES):
        stretch = 1.0 + 0.15 * _unit(seed, symbol, "period", i)
        phase = math.pi * (1.0 + _unit(seed, symbol, "phase", i))
        waves.append((2.0 * math.pi / (period * stretch), amplitude, phase))
    return tuple(waves)


def log_offset(seed: int, symbol: str, t: float) -> float:
    """The log of price / base price at epoch second t."""
    x = sum(a * math.sin(w * t + phi) for w, a, phi in _shape(seed, symbol))
    for octave, (spacing, amplitude) in enumerate(_NOISE):
        k, frac = divmod(t / spacing, 1.0)
        left, right = _knot(seed, symbol, octave, int(k)), _knot(seed, symbol, octave, int(k) + 1)
        smooth = frac * frac * (3.0 - 2.0 * frac)
        x += amplitude * (left + (right - left) * smooth)
    return x


def _epoch(at: datetime) -> float:
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).timestamp()


class PaperFeed:
    """MarketData for the paper broker's instruments; pure in (seed, symbol, time)."""

    broker = BrokerName.PAPER

    def __init__(self, seed: int, clock: Callable[[], datetime] | None = None) -> None:
        self.seed = seed
        self.clock = clock or utcnow

    def instrument(self, symbol: str) -> Instrument:
        return instrument(BrokerName.PAPER, symbol)

    def _price(self, inst: Instrument, t: float) -> Decimal:
        base = BASE_PRICES.get(inst.symbol, DEFAULT_BASE)
        factor = Decimal(f"{math.exp(log_offset(self.seed, inst.symbol, t)):.12f}")
        tick = Decimal(1).scaleb(-inst.price_decimals)
        return max(quantize(base * factor, inst.price_decimals), tick)

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        return self._price(self.instrument(symbol), _epoch(at or self.clock()))

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        inst = self.instrument(symbol)
        if timeframe not in TIMEFRAME_SECONDS:
            raise InvalidInput(f"unknown timeframe {timeframe!r}", field="timeframe")
        if not 1 <= limit <= MAX_CANDLES:
            raise InvalidInput(f"limit must be between 1 and {MAX_CANDLES}", field="limit")
        step = TIMEFRAME_SECONDS[timeframe]
        first_open, _ = closed_window(timeframe, limit, until or self.clock())
        return [self._candle(inst, timeframe, step, first_open + i * step) for i in range(limit)]

    def _candle(self, inst: Instrument, timeframe: str, step: int, start: int) -> Candle:
        samples = [self._price(inst, start + step * k / _CANDLE_SAMPLES) for k in range(_CANDLE_SAMPLES + 1)]
        open_, close = samples[0], samples[-1]
        per_minute = BASE_VOLUME_PER_MINUTE.get(inst.symbol, DEFAULT_VOLUME)
        jitter = Decimal(f"{0.5 + 0.5 * (1.0 + _unit(self.seed, inst.symbol, 'vol', timeframe, start)):.6f}")
        move = abs(close - open_) / open_
        volume = per_minute * Decimal(step) / 60 * jitter * (1 + 50 * move)
        return Candle(
            timestamp=datetime.fromtimestamp(start, UTC),
            open=open_,
            high=max(samples),
            low=min(samples),
            close=close,
            volume=volume.quantize(Decimal(1).scaleb(-inst.quantity_decimals), rounding=ROUND_HALF_EVEN),
        )
