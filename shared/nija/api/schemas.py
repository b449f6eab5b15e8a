"""Response shapes of the HTTP API (requests are validated by the logic's own models)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from nija.domain.models import BrokerName, Money, OrderType, Side
from nija.domain.orders import Order, OrderStatus

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_token: str | None = None


class OrderOut(BaseModel):
    order_id: str
    client_order_id: str
    broker: BrokerName
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None
    status: OrderStatus
    filled_quantity: Money
    average_fill_price: Money | None = None
    fees: Money
    reason_code: str | None = None
    reason_message: str | None = None
    cancel_requested: bool = False
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls.model_validate(
            order.model_dump(exclude={"user_id", "trade_ids", "broker_order_id", "source"})
        )


class PositionOut(BaseModel):
    broker: BrokerName
    symbol: str
    quantity: Money
    average_price: Money
    realized_pnl: Money
    mark_price: Money | None = None
    unrealized_pnl: Money | None = None


class TradeOut(BaseModel):
    trade_id: str
    order_id: str
    broker: BrokerName
    symbol: str
    side: Side
    quantity: Money
    price: Money
    fee: Money
    realized_pnl: Money
    timestamp: datetime


# A light shape check; Cognito is the authority on addresses. (email-validator would add ~60 ms to
# every API cold start: FastAPI builds its OpenAPI contact models with it whenever it is installed.)
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"


class LoginIn(BaseModel):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=256)


class TokensOut(BaseModel):
    access_token: str | None = None
    id_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    token_type: str | None = None
    challenge: str | None = None
    session: str | None = None


class Health(BaseModel):
    status: str
    stage: str
    version: str
