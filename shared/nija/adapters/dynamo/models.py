"""pynamodb storage models for the single state table. Kept apart from the domain models.

Table name, endpoint and region are bound on first use (see `bind`), never at import time.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from nija.config import get_settings, on_reset


class _OpenOrders(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


# One index class per model: pynamodb binds an index's Meta to the model that declares it.
class _OrdersByTime(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _TradesByTime(GlobalSecondaryIndex["TradeItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class StateItem(Model):
    """Common key attributes of every item in the state table."""

    class Meta:
        table_name = "unbound"  # replaced by bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class UserItem(StateItem):
    email = UnicodeAttribute()
    tier = UnicodeAttribute()
    status = UnicodeAttribute()
    role = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class OrderItem(StateItem):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute()
    client_order_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    order_type = UnicodeAttribute()
    quantity = UnicodeAttribute()
    limit_price = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    filled_quantity = UnicodeAttribute()
    average_fill_price = UnicodeAttribute(null=True)
    fees = UnicodeAttribute()
    broker_order_id = UnicodeAttribute(null=True)
    reason_code = UnicodeAttribute(null=True)
    reason_message = UnicodeAttribute(null=True)
    cancel_requested = NumberAttribute(default=0)
    source = UnicodeAttribute()
    trade_ids = ListAttribute(of=UnicodeAttribute, default=list)
    fill_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    open_orders = _OpenOrders()
    by_time = _OrdersByTime()


class RequestKeyItem(StateItem):
    """An Idempotency-Key a user sent, and the order it made. Expires with the table's TTL."""

    order_id = UnicodeAttribute()
    expires_at = NumberAttribute()


class PositionItem(StateItem):
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    symbol = UnicodeAttribute()
    quantity = UnicodeAttribute()
    average_price = UnicodeAttribute()
    realized_pnl = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()


class TradeItem(StateItem):
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    order_id = UnicodeAttribute()
    trade_id = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    quantity = UnicodeAttribute()
    price = UnicodeAttribute()
    fee = UnicodeAttribute()
    realized_pnl = UnicodeAttribute()
    timestamp = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_time = _TradesByTime()


class PaperBalanceItem(StateItem):
    asset = UnicodeAttribute()
    total = UnicodeAttribute()
    reserved = UnicodeAttribute()
    version = NumberAttribute(default=0)


class PaperOrderItem(StateItem):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    broker_order_id = UnicodeAttribute()
    client_order_id = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    order_type = UnicodeAttribute()
    quantity = UnicodeAttribute()
    limit_price = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    fills = ListAttribute(default=list)  # list of maps: trade_id, quantity, price, fee, timestamp
    reserved = UnicodeAttribute(null=True)  # funds held while resting: quote for a buy, base for a sell
    created_at = UTCDateTimeAttribute()


ALL_MODELS: tuple[type[StateItem], ...] = (
    StateItem,
    UserItem,
    OrderItem,
    RequestKeyItem,
    PositionItem,
    TradeItem,
    PaperBalanceItem,
    PaperOrderItem,
)

_bound: dict[str, Any] = {}


def bind() -> None:
    """Point every model at the state table of the current settings (idempotent, cheap)."""
    settings = get_settings()
    key = (settings.catalogue.state_table.name, settings.aws_endpoint_url, settings.region)
    if _bound.get("key") == key:
        return
    for model in ALL_MODELS:
        meta: Any = model.Meta
        meta.table_name = key[0]
        meta.host = key[1]
        meta.region = key[2]
        meta.max_retry_attempts = 3
        meta.connect_timeout_seconds = 2
        meta.read_timeout_seconds = 10
        model._connection = None
    _bound["key"] = key


@on_reset
def unbind() -> None:
    _bound.clear()
