"""Position arithmetic: a signed quantity, its average entry price and realized PnL."""

from __future__ import annotations

from decimal import Decimal

from nija.domain.models import Fill, Position, Side, utcnow
from nija.domain.money import ZERO


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
