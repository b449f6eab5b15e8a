from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import Page, PageToken, PositionOut, TradeOut
from nija.domain.models import Principal
from nija.domain.money import ZERO

router = APIRouter(prefix="/v1", tags=["positions"])
Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/positions", response_model=Page[PositionOut])
def list_positions(caller: Caller) -> Page[PositionOut]:
    """Open positions with their mark price and unrealized PnL where the broker has a price."""
    out = []
    for p in wiring.store().list_positions(caller.user_id):
        if p.quantity == ZERO:
            continue
        mark = wiring.broker(p.broker).mark_price(p.symbol)
        out.append(
            PositionOut(
                broker=p.broker,
                symbol=p.symbol,
                quantity=p.quantity,
                average_price=p.average_price,
                realized_pnl=p.realized_pnl,
                mark_price=mark,
                unrealized_pnl=p.unrealized_pnl(mark) if mark is not None else None,
            )
        )
    return Page[PositionOut](items=out)


@router.get("/trades", response_model=Page[TradeOut], response_model_exclude_none=True)
def list_trades(
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: PageToken = None,
) -> Page[TradeOut]:
    items, token = wiring.store().list_trades(caller.user_id, limit, next_token)
    return Page[TradeOut](items=[TradeOut.model_validate(t.model_dump()) for t in items], next_token=token)
