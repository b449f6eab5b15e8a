"""Tradable instruments per broker, in ccxt's unified symbol form (BASE/QUOTE)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from nija.domain.errors import InvalidInput
from nija.domain.models import BrokerName, OrderType
from nija.domain.money import ZERO, decimal_places


class Instrument(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    quantity_decimals: int
    price_decimals: int
    min_quantity: Decimal

    @property
    def base(self) -> str:
        return self.symbol.split("/")[0]

    @property
    def quote(self) -> str:
        return self.symbol.split("/")[1]


def _i(symbol: str, qd: int, pd: int, min_q: str) -> Instrument:
    return Instrument(symbol=symbol, quantity_decimals=qd, price_decimals=pd, min_quantity=Decimal(min_q))


_CRYPTO_USD = [_i("BTC/USD", 8, 2, "0.00001"), _i("ETH/USD", 8, 2, "0.0001"), _i("SOL/USD", 6, 2, "0.001")]
_CRYPTO_USDT = [
    _i("BTC/USDT", 5, 2, "0.00001"),
    _i("ETH/USDT", 4, 2, "0.0001"),
    _i("SOL/USDT", 3, 2, "0.001"),
]

INSTRUMENTS: dict[BrokerName, dict[str, Instrument]] = {
    BrokerName.PAPER: {
        i.symbol: i for i in [*_CRYPTO_USD, _i("DOGE/USD", 2, 5, "1"), _i("AAPL/USD", 4, 2, "0.0001")]
    },
    BrokerName.COINBASE: {i.symbol: i for i in _CRYPTO_USD},
    BrokerName.KRAKEN: {i.symbol: i for i in _CRYPTO_USD},
    BrokerName.BINANCE: {i.symbol: i for i in _CRYPTO_USDT},
    BrokerName.ALPACA: {i.symbol: i for i in [_i("AAPL/USD", 4, 2, "0.0001"), *_CRYPTO_USD[:2]]},
}


def instrument(broker: BrokerName, symbol: str) -> Instrument:
    try:
        return INSTRUMENTS[broker][symbol]
    except KeyError:
        raise InvalidInput(f"unknown symbol {symbol!r} for broker {broker}", field="symbol") from None


def home_quote(broker: BrokerName) -> str:
    """The currency a broker's instruments are quoted in, which its accounts are valued in."""
    (quote,) = {i.quote for i in INSTRUMENTS[broker].values()}
    return quote


def validate_order_numbers(
    inst: Instrument, quantity: Decimal, order_type: OrderType, limit_price: Decimal | None
) -> None:
    """Refuse quantities and prices an exchange would refuse, naming the field."""
    if quantity <= ZERO:
        raise InvalidInput("quantity must be greater than zero", field="quantity")
    if decimal_places(quantity) > inst.quantity_decimals:
        raise InvalidInput(
            f"quantity has more than {inst.quantity_decimals} decimals for {inst.symbol}", field="quantity"
        )
    if quantity < inst.min_quantity:
        raise InvalidInput(
            f"quantity is below the minimum {inst.min_quantity} for {inst.symbol}", field="quantity"
        )
    if order_type is OrderType.LIMIT:
        if limit_price is None:
            raise InvalidInput("a limit order needs limit_price", field="limit_price")
        if limit_price <= ZERO:
            raise InvalidInput("limit_price must be greater than zero", field="limit_price")
        if decimal_places(limit_price) > inst.price_decimals:
            raise InvalidInput(
                f"limit_price has more than {inst.price_decimals} decimals for {inst.symbol}",
                field="limit_price",
            )
    elif limit_price is not None:
        raise InvalidInput("a market order takes no limit_price", field="limit_price")
