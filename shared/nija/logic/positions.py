"""Position arithmetic: a signed quantity, its average entry price and realized PnL; and a user's
open positions valued at the broker's mark (GET /v1/positions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from nija.domain.models import BrokerName, Fill, Position, Side, Trade, utcnow
from nija.domain.money import ZERO
from nija.ports.stores import Ledger


def apply_fill(position: Position, side: Side, fill: Fill) -> tuple[Position, Decimal]:
    """Return the position after `fill` and the PnL the fill realized (fees deducted).

    Quantity is signed (negative is short). A fill that reduces the position realizes PnL against
    the average price; one that crosses zero opens the remainder at the fill price.
    """
    qty = position.quantity
    signed = fill.quantity * side.sign
    avg = position.average_price
    realized = -fill.fee
    if qty == ZERO or (qty > ZERO) == (signed > ZERO):
        new_qty = qty + signed
        avg = (abs(qty) * avg + fill.quantity * fill.price) / abs(new_qty)
    else:
        closing = min(abs(qty), fill.quantity)
        direction = 1 if qty > ZERO else -1
        realized += closing * (fill.price - avg) * direction
        new_qty = qty + signed
        if new_qty == ZERO:
            avg = ZERO
        elif (new_qty > ZERO) != (qty > ZERO):
            avg = fill.price
    updated = position.model_copy(
        update={
            "quantity": new_qty,
            "average_price": avg,
            "realized_pnl": position.realized_pnl + realized,
            "version": position.version + 1,
            "updated_at": utcnow(),
        }
    )
    return updated, realized


@dataclass(frozen=True)
class MarkedPosition:
    position: Position
    mark_price: Decimal | None  # None where the broker has no price

    @property
    def unrealized_pnl(self) -> Decimal | None:
        return self.position.unrealized_pnl(self.mark_price) if self.mark_price is not None else None


@dataclass(frozen=True)
class PositionBook:
    """A user's open positions at the mark, and their trades."""

    ledger: Ledger
    mark_price: Callable[[BrokerName, str], Decimal | None]

    def open(self, user_id: str) -> list[MarkedPosition]:
        return [
            MarkedPosition(p, self.mark_price(p.broker, p.symbol))
            for p in self.ledger.list_positions(user_id)
            if p.quantity != ZERO
        ]

    def trades(self, user_id: str, limit: int, next_token: str | None) -> tuple[list[Trade], str | None]:
        return self.ledger.list_trades(user_id, limit, next_token)
