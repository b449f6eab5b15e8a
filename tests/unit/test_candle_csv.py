"""Candles from CSV text: both timestamp forms, and an error naming the line for each kind of bad input."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from nija.adapters.paper.feed import PaperFeed
from nija.domain.candle_csv import candles_csv, infer_timeframe, parse_candles_csv
from nija.domain.errors import InvalidInput

SAMPLE = Path(__file__).parents[1] / "fixtures" / "candles" / "paper_btc_usd_5m.csv"
HEADER = "timestamp,open,high,low,close,volume\n"


def test_iso_and_epoch_milliseconds_read_the_same() -> None:
    iso = parse_candles_csv(
        HEADER + "2026-01-01T00:00:00Z,10,11,9,10.5,3\n2026-01-01T00:05:00,10.5,12,10,11,4\n"
    )
    epoch = parse_candles_csv(HEADER + "1767225600000,10,11,9,10.5,3\n\n1767225900000,10.5,12,10,11,4\n")
    assert iso == epoch
    assert iso[0].timestamp == datetime(2026, 1, 1, tzinfo=UTC) and iso[1].close == Decimal("11")
    assert infer_timeframe(iso) == "5m"


def test_columns_in_any_order_extra_ones_ignored_offsets_to_utc() -> None:
    text = "Close,Volume,Open,High,Low,Timestamp,note\n10,1,10,10,10,2026-01-01T01:00:00+01:00,x\n"
    (candle,) = parse_candles_csv(text)
    assert candle.timestamp == datetime(2026, 1, 1, tzinfo=UTC) and candle.open == Decimal(10)


def test_the_sample_file_round_trips_and_is_the_paper_feed() -> None:
    candles = parse_candles_csv(SAMPLE.read_text())
    assert len(candles) == 1000 and infer_timeframe(candles) == "5m"
    assert candles_csv(candles) == SAMPLE.read_text()
    assert candles == PaperFeed(7).candles("BTC/USD", "5m", 1000, until=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "line 1: empty file"),
        ("time,open,high,low,close\n", "line 1: the header lacks timestamp, volume"),
        (HEADER, "line 2: no candles"),
        (HEADER + "2026-01-01T00:00:00Z,10,11,9,10\n", "line 2: expected 6 columns"),
        (
            HEADER + "2026-01-01T00:00:00Z,10,11,9,10,1\nyesterday,10,11,9,10,1\n",
            "line 3: timestamp: not an ISO",
        ),
        (HEADER + "2026-01-01T00:00:00Z,10,eleven,9,10,1\n", "line 2: high: not a decimal number"),
        (HEADER + "2026-01-01T00:00:00Z,0,11,0,10,1\n", "line 2: open must be positive"),
        (HEADER + "2026-01-01T00:00:00Z,10,11,9,10,-1\n", "line 2: volume cannot be negative"),
        (HEADER + "2026-01-01T00:00:00Z,12,11,9,10,1\n", "line 2: open 12 is outside low..high (9..11)"),
        (
            HEADER + "2026-01-01T00:05:00Z,10,11,9,10,1\n2026-01-01T00:05:00Z,10,11,9,10,1\n",
            "line 3: timestamp 2026-01-01T00:05:00+00:00 is not after",
        ),
        (
            HEADER + "99999999999999999999,10,11,9,10,1\n",
            "line 2: timestamp: epoch milliseconds out of range",
        ),
    ],
)
def test_errors_name_the_line_and_column(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_candles_csv(text)
    assert err.value.message.startswith(expected), err.value.message
    assert err.value.field == "csv"


def test_a_timeframe_is_inferred_from_the_smallest_gap_or_refused() -> None:
    rows = ["2026-01-01T00:00:00Z", "2026-01-01T01:00:00Z", "2026-01-01T04:00:00Z"]
    candles = parse_candles_csv(HEADER + "".join(f"{t},1,1,1,1,1\n" for t in rows))
    assert infer_timeframe(candles) == "1h"  # the 3-hour gap is missing bars
    with pytest.raises(InvalidInput, match="match no timeframe"):
        infer_timeframe(parse_candles_csv(HEADER + "1000,1,1,1,1,1\n8000,1,1,1,1,1\n"))
    with pytest.raises(InvalidInput, match="one candle"):
        infer_timeframe(candles[:1])
