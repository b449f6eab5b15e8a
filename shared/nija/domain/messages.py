"""Messages on the orders-<broker>.fifo queues. One user's messages share a FIFO group."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from nija.domain.models import BrokerName, OrderIntent


class PlaceOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["place"] = "place"
    intent: OrderIntent

    @property
    def user_id(self) -> str:
        return self.intent.user_id

    @property
    def broker(self) -> BrokerName:
        return self.intent.broker

    @property
    def dedup_id(self) -> str:
        return self.intent.intent_id


class CancelOrder(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["cancel"] = "cancel"
    user_id: str
    broker: BrokerName
    order_id: str

    @property
    def dedup_id(self) -> str:
        return f"cancel-{self.order_id}"


OrderMessage = Annotated[PlaceOrder | CancelOrder, Field(discriminator="kind")]
order_message_adapter: TypeAdapter[PlaceOrder | CancelOrder] = TypeAdapter(OrderMessage)


def parse_order_message(body: str) -> PlaceOrder | CancelOrder:
    return order_message_adapter.validate_json(body)
