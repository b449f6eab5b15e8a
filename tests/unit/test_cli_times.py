"""Times given to the operator commands are input like any other: a bad one is a message and exit
status 2 before anything runs, never a traceback."""

from __future__ import annotations

import pytest

from nija.cli import main


@pytest.mark.parametrize(
    ("before", "message"),
    [
        ("soon", "Invalid isoformat string"),
        ("0001-01-01T00:00:00+01:00", "must be between 1970-01-01 and 2100-01-01"),
        ("9999-12-31T23:59:59", "must be between 1970-01-01 and 2100-01-01"),
    ],
)
def test_rewrap_before_out_of_range_exits_2(
    capsys: pytest.CaptureFixture[str], before: str, message: str
) -> None:
    assert main(["vault", "rewrap", "--before", before]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("nija vault rewrap: error: --before: ") and message in err, err
