from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import Page, PageToken, PositionOut, TradeOut
from nija.domain.models import Principal
from nija.logic.positions import PositionBook

router = APIRouter(prefix="/v1", tags=["positions"])
Caller = Annotated[Principal, Depends(current_principal)]
Book = Annotated[PositionBook, Depends(wiring.position_book)]


@router.get("/positions", response_model=Page[PositionOut])
def list_positions(caller: Caller, book: Book) -> Page[PositionOut]:
    """Open positions with their mark price and unrealized PnL where the broker has a price."""
    return Page[PositionOut](items=[PositionOut.of(p) for p in book.open(caller.user_id)])


@router.get("/trades", response_model=Page[TradeOut], response_model_exclude_none=True)
def list_trades(
    caller: Caller,
    book: Book,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: PageToken = None,
) -> Page[TradeOut]:
    items, token = book.trades(caller.user_id, limit, next_token)
    return Page[TradeOut](items=[TradeOut.model_validate(t.model_dump()) for t in items], next_token=token)
