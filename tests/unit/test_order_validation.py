from decimal import Decimal

import pytest

from nija.domain.errors import InvalidInput
from nija.domain.models import BrokerName, Principal
from nija.domain.money import to_decimal
from nija.logic.orders import OrderRequest, build_intent

ME = Principal(user_id="u1")


def req(**kw: object) -> OrderRequest:
    body = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.5"} | kw
    return OrderRequest.model_validate(body)


def test_same_request_id_same_intent() -> None:
    a = build_intent(ME, req(), "key-1")
    assert a.intent_id == build_intent(ME, req(), "key-1").intent_id
    assert a.intent_id != build_intent(ME, req(), "key-2").intent_id
    assert build_intent(ME, req(), None).intent_id != build_intent(ME, req(), None).intent_id


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"symbol": "NOPE/USD"}, "symbol"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "-1"}, "quantity"),
        ({"quantity": "0.123456789"}, "quantity"),
        ({"quantity": "0.000000001"}, "quantity"),
        ({"type": "limit"}, "limit_price"),
        ({"type": "limit", "limit_price": "0"}, "limit_price"),
        ({"type": "limit", "limit_price": "100.123"}, "limit_price"),
        ({"limit_price": "100"}, "limit_price"),
    ],
)
def test_bad_numbers_name_the_field(body: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        build_intent(ME, req(**body), "k")
    assert err.value.field == field


def test_binance_symbols_are_usdt() -> None:
    with pytest.raises(InvalidInput):
        build_intent(ME, req(broker="binance"), "k")
    assert (
        build_intent(ME, req(broker="binance", symbol="BTC/USDT", quantity="0.001"), "k").broker
        is BrokerName.BINANCE
    )


@pytest.mark.parametrize("raw", ["1e400000", "NaN", "Infinity", "abc", True])
def test_non_numbers_are_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        to_decimal(raw)


def test_floats_keep_their_short_form() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
