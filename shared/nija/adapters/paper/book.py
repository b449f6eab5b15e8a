"""The paper book's rules as pure functions: validation, slippage, fees, reservation and matching.

Nothing here reads a clock, a feed or storage. Every function takes the current state (the order
and the user's holdings with their versions) and returns a `Change`: the order as it must be stored
and the holdings as they must be stored, each holding carrying its next version. A store applies a
Change atomically, only if nothing it was computed from has changed meanwhile.

Orders fill in full (one fill each). A market order, or a limit order that is marketable when
placed, fills at once as a taker: at the mark price moved against it by the slippage, never past
its limit. A resting limit order reserves its worst-case cost (a buy: quantity x limit + fee, in
quote; a sell: the quantity, in base) and fills at its limit price once the mark crosses it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import Field

from nija.domain.errors import InsufficientFunds, InvalidInput, InvalidOrder
from nija.domain.instruments import Instrument, instrument, validate_order_numbers
from nija.domain.models import BrokerName, Fill, Frozen, Money, OrderType, Side
from nija.domain.money import ZERO, fmt
from nija.domain.orders import OrderStatus
from nija.ports.broker import Balance, BrokerOrder, BrokerOrderRequest

FEE_PLACES = 8  # fees are rounded up to this many decimals of the quote currency
BPS = Decimal("10000")


class Holding(Frozen):
    """One asset of one user. `version` 0 means not stored yet; every stored change adds one."""

    asset: str
    total: Money = ZERO
    reserved: Money = ZERO
    version: int = 0

    @property
    def free(self) -> Decimal:
        return self.total - self.reserved


class PaperOrder(Frozen):
    """An order on the paper book, as stored."""

    user_id: str
    broker_order_id: str
    client_order_id: str
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None
    status: OrderStatus
    reserved: Money = ZERO  # in quote for a buy, in base for a sell; released when the order ends
    fills: tuple[Fill, ...] = Field(default_factory=tuple)
    created_at: datetime

    @property
    def filled_quantity(self) -> Decimal:
        return sum((f.quantity for f in self.fills), ZERO)


class Change(Frozen):
    """What one operation writes. `expected_status` None means the order must not exist yet."""

    order: PaperOrder
    expected_status: OrderStatus | None
    holdings: tuple[Holding, ...] = ()


# --- ids -------------------------------------------------------------------------------------


def broker_order_id(user_id: str, client_order_id: str) -> str:
    digest = hashlib.sha256(f"{user_id}\x1f{client_order_id}".encode()).hexdigest()
    return f"paper-{digest[:24]}"


def trade_id(broker_order_id: str, sequence: int) -> str:
    """Unique per (order, execution) and stable: the same execution always gets the same id."""
    digest = hashlib.sha256(f"{broker_order_id}\x1f{sequence}".encode()).hexdigest()
    return f"pt-{digest[:24]}"


# --- prices and fees -------------------------------------------------------------------------


def taker_price(mark: Decimal, side: Side, slippage_bps: Decimal, price_decimals: int) -> Decimal:
    """The mark moved against the taker by the slippage, rounded to a tick against the taker too."""
    tick = Decimal(1).scaleb(-price_decimals)
    raw = mark * (1 + side.sign * slippage_bps / BPS)
    return raw.quantize(tick, rounding=ROUND_CEILING if side is Side.BUY else ROUND_FLOOR)


def fee_for(notional: Decimal, fee_rate: Decimal) -> Decimal:
    return (notional * fee_rate).quantize(Decimal(1).scaleb(-FEE_PLACES), rounding=ROUND_CEILING)


def crosses(side: Side, limit: Decimal, mark: Decimal) -> bool:
    """A buy fills when the price is at or below its limit; a sell when at or above."""
    return mark <= limit if side is Side.BUY else mark >= limit


def buy_reservation(quantity: Decimal, limit: Decimal, fee_rate: Decimal) -> Decimal:
    notional = quantity * limit
    return notional + fee_for(notional, fee_rate)


# --- validation ------------------------------------------------------------------------------


def validate(request: BrokerOrderRequest) -> Instrument:
    """The instrument of a valid request; anything an exchange would refuse raises InvalidOrder."""
    try:
        inst = instrument(BrokerName.PAPER, request.symbol)
        validate_order_numbers(inst, request.quantity, request.type, request.limit_price)
    except InvalidInput as exc:
        raise InvalidOrder(exc.message) from exc
    if not request.client_order_id or len(request.client_order_id) > 64:
        raise InvalidOrder("client_order_id must have 1 to 64 characters")
    return inst


def holding(holdings: dict[str, Holding], asset: str) -> Holding:
    return holdings.get(asset) or Holding(asset=asset)


def _bump(h: Holding, total: Decimal = ZERO, reserved: Decimal = ZERO) -> Holding:
    return h.model_copy(
        update={"total": h.total + total, "reserved": h.reserved + reserved, "version": h.version + 1}
    )


# --- operations ------------------------------------------------------------------------------


def _execute(
    order: PaperOrder,
    inst: Instrument,
    holdings: dict[str, Holding],
    price: Decimal,
    fee_rate: Decimal,
    now: datetime,
) -> tuple[PaperOrder, tuple[Holding, ...]]:
    """Fill the whole remaining quantity at `price`, releasing the order's reservation."""
    quantity = order.quantity - order.filled_quantity
    notional = quantity * price
    fee = fee_for(notional, fee_rate)
    quote, base = holding(holdings, inst.quote), holding(holdings, inst.base)
    if order.side is Side.BUY:
        if quote.free + order.reserved < notional + fee:
            raise InsufficientFunds(f"{inst.quote}: {fmt(notional + fee)} needed, {fmt(quote.free)} free")
        moved = (_bump(quote, -(notional + fee), -order.reserved), _bump(base, quantity))
    else:
        if base.free + order.reserved < quantity:
            raise InsufficientFunds(f"{inst.base}: {fmt(quantity)} needed, {fmt(base.free)} free")
        moved = (_bump(base, -quantity, -order.reserved), _bump(quote, notional - fee))
    fill = Fill(
        trade_id=trade_id(order.broker_order_id, len(order.fills) + 1),
        quantity=quantity,
        price=price,
        fee=fee,
        fee_currency=inst.quote,
        timestamp=now,
    )
    filled = order.model_copy(
        update={"status": OrderStatus.FILLED, "reserved": ZERO, "fills": (*order.fills, fill)}
    )
    return filled, moved


def place(
    user_id: str,
    request: BrokerOrderRequest,
    holdings: dict[str, Holding],
    mark: Decimal,
    *,
    fee_rate: Decimal,
    slippage_bps: Decimal,
    now: datetime,
) -> Change:
    """A new order: filled at once when marketable, else resting with its funds reserved."""
    inst = validate(request)
    order = PaperOrder(
        user_id=user_id,
        broker_order_id=broker_order_id(user_id, request.client_order_id),
        client_order_id=request.client_order_id,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        quantity=request.quantity,
        limit_price=request.limit_price,
        status=OrderStatus.ACCEPTED,
        created_at=now,
    )
    taker = taker_price(mark, request.side, slippage_bps, inst.price_decimals)
    limit = request.limit_price
    if limit is None:
        filled, moved = _execute(order, inst, holdings, taker, fee_rate, now)
        return Change(order=filled, expected_status=None, holdings=moved)
    if crosses(request.side, limit, mark):
        price = min(taker, limit) if request.side is Side.BUY else max(taker, limit)
        filled, moved = _execute(order, inst, holdings, price, fee_rate, now)
        return Change(order=filled, expected_status=None, holdings=moved)
    if request.side is Side.BUY:
        asset, amount = inst.quote, buy_reservation(request.quantity, limit, fee_rate)
    else:
        asset, amount = inst.base, request.quantity
    funds = holding(holdings, asset)
    if funds.free < amount:
        raise InsufficientFunds(f"{asset}: {fmt(amount)} needed, {fmt(funds.free)} free")
    resting = order.model_copy(update={"reserved": amount})
    return Change(order=resting, expected_status=None, holdings=(_bump(funds, reserved=amount),))


def match(
    order: PaperOrder, holdings: dict[str, Holding], mark: Decimal, *, fee_rate: Decimal, now: datetime
) -> Change | None:
    """Fill a resting limit order at its limit when the mark crosses it; None when it stays put."""
    if (
        not order.status.is_open
        or order.limit_price is None
        or not crosses(order.side, order.limit_price, mark)
    ):
        return None
    inst = instrument(BrokerName.PAPER, order.symbol)
    filled, moved = _execute(order, inst, holdings, order.limit_price, fee_rate, now)
    return Change(order=filled, expected_status=order.status, holdings=moved)


def cancel(order: PaperOrder, holdings: dict[str, Holding]) -> Change | None:
    """Cancel a resting order and release its reservation; None when it has already ended."""
    if not order.status.is_open:
        return None
    inst = instrument(BrokerName.PAPER, order.symbol)
    asset = inst.quote if order.side is Side.BUY else inst.base
    released = _bump(holding(holdings, asset), reserved=-order.reserved)
    canceled = order.model_copy(update={"status": OrderStatus.CANCELED, "reserved": ZERO})
    return Change(order=canceled, expected_status=order.status, holdings=(released,))


# --- views -----------------------------------------------------------------------------------


def to_broker_order(order: PaperOrder) -> BrokerOrder:
    return BrokerOrder(
        broker_order_id=order.broker_order_id,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        status=order.status,
        filled_quantity=order.filled_quantity,
        fills=order.fills,
    )


def to_balances(holdings: dict[str, Holding]) -> dict[str, Balance]:
    return {a: Balance(asset=a, free=h.free, total=h.total) for a, h in sorted(holdings.items())}
