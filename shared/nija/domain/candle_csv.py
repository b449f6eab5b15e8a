"""Candles as CSV text, for backtests: `timestamp,open,high,low,close,volume`, one candle a line, oldest
first. Pure: text in, candles out (the caller reads the file).

- The header line names the six columns, in any order, case-insensitive; other columns are ignored.
- `timestamp` is the candle's open time: ISO-8601 (`2026-01-01T00:05:00Z`; without an offset it is
  UTC) or epoch milliseconds (an integer, as ccxt's fetch_ohlcv gives).
- Prices and volume are decimal numbers, read as Decimal (never through float). Prices must be
  positive, volume not negative, and low <= open, close <= high.
- Timestamps must increase strictly. Blank lines are skipped.
Every error is an InvalidInput naming the line (1 is the header) and the column.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from nija.domain.errors import InvalidInput
from nija.domain.market import TIMEFRAME_SECONDS, Candle
from nija.domain.money import ZERO, fmt, to_decimal

COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


def _error(line: int, message: str) -> InvalidInput:
    return InvalidInput(f"line {line}: {message}", field="csv")


def parse_timestamp(text: str) -> datetime:
    """ISO-8601 (UTC when it has no offset) or integer epoch milliseconds."""
    text = text.strip()
    if text.isdigit():
        try:
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"epoch milliseconds out of range: {text}") from None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 time or epoch milliseconds: {text!r}") from None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC, or 9999 west of it
        raise ValueError(f"out of range in UTC: {text}") from None


def parse_candles_csv(text: str) -> list[Candle]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None or not any(cell.strip() for cell in header):
        raise _error(1, f"empty file; the first line must be the header {','.join(COLUMNS)}")
    names = [cell.strip().lower() for cell in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise _error(1, f"the header lacks {', '.join(missing)} (expected {','.join(COLUMNS)})")
    index = {c: names.index(c) for c in COLUMNS}
    candles: list[Candle] = []
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        candle = _candle(number, row, index)
        if candles and candle.timestamp <= candles[-1].timestamp:
            raise _error(
                number,
                f"timestamp {candle.timestamp.isoformat()} is not after the previous candle's"
                f" ({candles[-1].timestamp.isoformat()}): candles must be oldest first, without repeats",
            )
        candles.append(candle)
    if not candles:
        raise _error(2, "no candles after the header")
    return candles


def _candle(number: int, row: list[str], index: dict[str, int]) -> Candle:
    if len(row) < len(index) or any(i >= len(row) for i in index.values()):
        raise _error(number, f"expected {len(COLUMNS)} columns ({','.join(COLUMNS)}), found {len(row)}")
    try:
        timestamp = parse_timestamp(row[index["timestamp"]])
    except ValueError as exc:
        raise _error(number, f"timestamp: {exc}") from None
    values = {}
    for column in COLUMNS[1:]:
        try:
            values[column] = to_decimal(row[index[column]])
        except ValueError as exc:
            raise _error(number, f"{column}: {exc}") from None
        if column != "volume" and values[column] <= ZERO:
            raise _error(number, f"{column} must be positive, got {fmt(values[column])}")
    if values["volume"] < ZERO:
        raise _error(number, f"volume cannot be negative, got {fmt(values['volume'])}")
    low, high = values["low"], values["high"]
    for column in ("open", "close"):
        if not low <= values[column] <= high:
            raise _error(
                number, f"{column} {fmt(values[column])} is outside low..high ({fmt(low)}..{fmt(high)})"
            )
    return Candle(timestamp=timestamp, **values)


def infer_timeframe(candles: Sequence[Candle]) -> str:
    """The timeframe whose length is the smallest gap between consecutive candles (a gap in the
    data, a weekend or a missing bar, is a multiple of it)."""
    if len(candles) < 2:
        raise InvalidInput("one candle is not enough to infer the timeframe; give it", field="timeframe")
    gap = min(int((b.timestamp - a.timestamp).total_seconds()) for a, b in itertools.pairwise(candles))
    for name, seconds in TIMEFRAME_SECONDS.items():
        if seconds == gap:
            return name
    raise InvalidInput(
        f"candles {gap} s apart match no timeframe ({', '.join(TIMEFRAME_SECONDS)}); give it",
        field="timeframe",
    )


def candles_csv(candles: Iterable[Candle]) -> str:
    """CSV text that `parse_candles_csv` reads back to the same candles (ISO-8601 UTC times)."""
    lines = [",".join(COLUMNS)]
    for c in candles:
        stamp = c.timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
        lines.append(",".join((stamp, *(fmt(v) for v in (c.open, c.high, c.low, c.close, c.volume)))))
    return "\n".join(lines) + "\n"
