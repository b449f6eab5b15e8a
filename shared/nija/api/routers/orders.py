from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import OrderOut, Page, PageToken
from nija.api.standing import Acting
from nija.domain.models import Principal
from nija.logic.orders import OrderDesk, OrderRequest

router = APIRouter(prefix="/v1/orders", tags=["orders"])
Caller = Annotated[Principal, Depends(current_principal)]
Desk = Annotated[OrderDesk, Depends(wiring.order_desk)]


@router.post("", status_code=202, response_model=OrderOut)
def place_order(
    body: OrderRequest,
    caller: Acting,
    desk: Desk,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> OrderOut:
    """Queue a manual order. Send an Idempotency-Key header to make retries safe: the same key
    always maps to the same order."""
    return OrderOut.of(desk.place(caller, body, idempotency_key))


@router.get("", response_model=Page[OrderOut], response_model_exclude_none=True)
def list_orders(
    caller: Caller,
    desk: Desk,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: PageToken = None,
) -> Page[OrderOut]:
    items, token = desk.list(caller, limit, next_token)
    return Page[OrderOut](items=[OrderOut.of(o) for o in items], next_token=token)


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: str, caller: Caller, desk: Desk) -> OrderOut:
    return OrderOut.of(desk.get(caller, order_id))


@router.delete("/{order_id}", status_code=202, response_model=OrderOut)
def cancel_order(order_id: str, caller: Acting, desk: Desk) -> OrderOut:
    """Cancel: a queued order is canceled at once; an open one is canceled at the broker."""
    return OrderOut.of(desk.cancel(caller, order_id))
