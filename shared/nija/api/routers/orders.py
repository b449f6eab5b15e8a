from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import OrderOut, Page, PageToken
from nija.api.standing import Acting
from nija.domain.errors import Conflict
from nija.domain.models import Principal
from nija.domain.risk import TradingMode
from nija.logic import orders
from nija.logic.orders import OrderRequest

router = APIRouter(prefix="/v1/orders", tags=["orders"])
Caller = Annotated[Principal, Depends(current_principal)]
OrderId = Annotated[str, "order id"]


@router.post("", status_code=202, response_model=OrderOut)
def place_order(
    body: OrderRequest,
    caller: Acting,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=64)] = None,
) -> OrderOut:
    """Queue a manual order. Send an Idempotency-Key header to make retries safe: the same key
    always maps to the same order."""
    if not wiring.connected(caller.user_id, body.broker):
        raise Conflict(
            f"connect your {body.broker.value} account first: PUT /v1/brokers/{body.broker.value}/credentials",
            code="broker_not_connected",
        )
    if wiring.controls().mode_for(caller.user_id, body.broker.value) is TradingMode.HALTED:
        raise Conflict(
            "trading is halted by a kill switch; no new orders are accepted", code="kill_switch_halted"
        )
    order = orders.place_order(caller, body, idempotency_key, wiring.store(), wiring.order_queue())
    return OrderOut.of(order)


@router.get("", response_model=Page[OrderOut], response_model_exclude_none=True)
def list_orders(
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: PageToken = None,
) -> Page[OrderOut]:
    items, token = wiring.store().list_orders(caller.user_id, limit, next_token)
    return Page[OrderOut](items=[OrderOut.of(o) for o in items], next_token=token)


@router.get("/{order_id}", response_model=OrderOut)
def get_order(order_id: str, caller: Caller) -> OrderOut:
    return OrderOut.of(orders.get_order(caller, order_id, wiring.store()))


@router.delete("/{order_id}", status_code=202, response_model=OrderOut)
def cancel_order(order_id: str, caller: Acting) -> OrderOut:
    """Cancel: a queued order is canceled at once; an open one is canceled at the broker."""
    return OrderOut.of(orders.cancel_order(caller, order_id, wiring.store(), wiring.order_queue()))
