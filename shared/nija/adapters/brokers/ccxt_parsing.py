"""Reading ccxt's unified structures (orders, trades, tickers) into ours: order statuses, fills
with the exchange's trade ids, mark prices. No requests are made here; ccxt parses numbers as
strings on our clients, read here as exact decimals."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from nija.domain.models import Fill
from nija.domain.money import ZERO, to_decimal
from nija.domain.orders import OrderStatus


def decimal_or_zero(value: object) -> Decimal:
    return ZERO if value is None or value == "" else to_decimal(value)


def timestamp_of(ms: object) -> datetime:
    if isinstance(ms, int | float) and ms > 0:
        return datetime.fromtimestamp(ms / 1000, UTC)
    return datetime.now(UTC)


def status_of(unified: str | None, filled: Decimal, amount: Decimal | None) -> OrderStatus:
    """ccxt's unified order status (open, closed, canceled, expired, rejected) as ours."""
    if unified == "closed":
        if amount is not None and filled < amount:
            return OrderStatus.EXPIRED  # closed with a remainder: an IOC that did not fill in full
        return OrderStatus.FILLED
    if unified == "canceled":
        return OrderStatus.CANCELED
    if unified == "expired":
        return OrderStatus.EXPIRED
    if unified == "rejected":
        return OrderStatus.REJECTED
    # open, or a transitional state ccxt passes through (pending, canceling): still working
    return OrderStatus.PARTIALLY_FILLED if filled > ZERO else OrderStatus.ACCEPTED


def order_status(raw: dict[str, Any]) -> OrderStatus:
    """A unified order's status, from its status, filled and amount."""
    amount = raw.get("amount")
    return status_of(
        raw.get("status"), decimal_or_zero(raw.get("filled")), decimal_or_zero(amount) if amount else None
    )


def carried_trades(raw: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The trades a unified order carries, when they account for all it filled; else None (they
    must be fetched for the order)."""
    trades = [t for t in raw.get("trades") or [] if t.get("id") and t.get("amount") and t.get("price")]
    if sum((decimal_or_zero(t["amount"]) for t in trades), ZERO) < decimal_or_zero(raw.get("filled")):
        return None
    return trades


def fills_of(raw: dict[str, Any], trades: Iterable[dict[str, Any]]) -> tuple[Fill, ...]:
    """The order's fills from unified trades: one per exchange trade id, oldest first; trades of
    another order are left out. A fee without a currency is in the symbol's quote currency."""
    quote = (raw.get("symbol") or "/").split("/")[-1] or "USD"
    fills: dict[str, Fill] = {}
    for trade in trades:
        order_id = trade.get("order")
        if order_id is not None and str(order_id) != str(raw["id"]):
            continue
        fee = trade.get("fee") or {}
        fills.setdefault(
            str(trade["id"]),
            Fill(
                trade_id=str(trade["id"]),
                quantity=decimal_or_zero(trade["amount"]),
                price=decimal_or_zero(trade["price"]),
                fee=decimal_or_zero(fee.get("cost")),
                fee_currency=fee.get("currency") or quote,
                timestamp=timestamp_of(trade.get("timestamp") or raw.get("timestamp")),
            ),
        )
    return tuple(sorted(fills.values(), key=lambda f: (f.timestamp, f.trade_id)))


def ticker_price(ticker: dict[str, Any]) -> Decimal | None:
    """A unified ticker's last trade price (else its close, else the bid/ask midpoint), or None."""
    last = ticker.get("last") or ticker.get("close")
    if last is not None:
        return decimal_or_zero(last)
    if ticker.get("bid") and ticker.get("ask"):
        return (decimal_or_zero(ticker["bid"]) + decimal_or_zero(ticker["ask"])) / 2
    return None
