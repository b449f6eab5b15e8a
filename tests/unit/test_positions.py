from decimal import Decimal

import pytest

from nija.domain.models import BrokerName, Fill, Position, Side
from nija.logic.positions import apply_fill

D = Decimal


def pos(qty: str = "0", avg: str = "0") -> Position:
    return Position(
        user_id="u", broker=BrokerName.PAPER, symbol="BTC/USD", quantity=D(qty), average_price=D(avg)
    )


def f(qty: str, price: str, fee: str = "0") -> Fill:
    return Fill(trade_id="t", quantity=D(qty), price=D(price), fee=D(fee))


def test_open_and_add_averages_the_price() -> None:
    p, realized = apply_fill(pos(), Side.BUY, f("1", "100", "0.5"))
    assert (p.quantity, p.average_price, realized, p.version) == (D(1), D(100), D("-0.5"), 1)
    p, _ = apply_fill(p, Side.BUY, f("3", "120"))
    assert (p.quantity, p.average_price) == (D(4), D(115))


def test_reduce_realizes_pnl_and_keeps_the_average() -> None:
    p, realized = apply_fill(pos("4", "115"), Side.SELL, f("1", "125", "1"))
    assert (p.quantity, p.average_price, realized) == (D(3), D(115), D(9))


def test_close_resets_the_average() -> None:
    p, realized = apply_fill(pos("2", "100"), Side.SELL, f("2", "90"))
    assert (p.quantity, p.average_price, realized) == (D(0), D(0), D(-20))


def test_crossing_zero_opens_the_rest_at_the_fill_price() -> None:
    p, realized = apply_fill(pos("1", "100"), Side.SELL, f("3", "110"))
    assert (p.quantity, p.average_price, realized) == (D(-2), D(110), D(10))


def test_short_gains_when_price_falls() -> None:
    p, realized = apply_fill(pos("-2", "110"), Side.BUY, f("2", "100"))
    assert (p.quantity, realized) == (D(0), D(20))


@pytest.mark.parametrize("mark,expected", [(D(120), D(40)), (None, D(0))])
def test_unrealized(mark: Decimal | None, expected: Decimal) -> None:
    assert pos("2", "100").unrealized_pnl(mark) == expected
