"""The order store (OrderStore) over DynamoDB: orders, their request keys and the open-order index.
Every write that guards money is conditional, and only while the account stands (nija.domain.standing)."""

from __future__ import annotations

import time

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.cursor import newest_first
from nija.adapters.dynamo.mapping import order_from, order_item
from nija.adapters.dynamo.models import OrderItem, RequestKeyItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, Update, write
from nija.domain.audit import AuditEvent
from nija.domain.errors import Conflict
from nija.domain.models import BrokerName
from nija.domain.orders import Order, OrderStatus
from nija.domain.standing import active, kept

REQUEST_KEY_TTL_S = 7 * 24 * 3600


class DynamoOrders:
    """OrderStore over the state table."""

    def __init__(self) -> None:
        bind()

    def create_order(self, order: Order, audit: AuditEvent | None = None) -> tuple[Order, bool]:
        try:
            write(
                [Save(order_item(order), OrderItem.pk.does_not_exist())],
                audit,
                account=active(order.user_id),
            )
        except ConditionFailed as exc:
            existing = self.get_order(order.user_id, order.order_id)
            if existing is None:  # deleted in between: extremely unlikely, treat as a conflict
                raise Conflict(f"order {order.order_id} changed while being created") from exc
            return existing, False
        return order, True

    def claim_request_key(self, user_id: str, key: str, order_id: str) -> None:
        item = RequestKeyItem(
            keys.user_pk(user_id),
            keys.request_key_sk(key),
            order_id=order_id,
            expires_at=int(time.time()) + REQUEST_KEY_TTL_S,
        )
        condition = RequestKeyItem.pk.does_not_exist() | (RequestKeyItem.order_id == order_id)
        try:
            write([Save(item, condition)], account=active(user_id))
        except ConditionFailed:
            raise Conflict("this Idempotency-Key was already used for a different order") from None

    def get_order(self, user_id: str, order_id: str) -> Order | None:
        try:
            return order_from(
                OrderItem.get(keys.user_pk(user_id), keys.order_sk(order_id), consistent_read=True)
            )
        except OrderItem.DoesNotExist:
            return None

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        items, next_token = newest_first(OrderItem, keys.user_pk(user_id), keys.ORDER_PREFIX, limit, cursor)
        return [order_from(item) for item in items], next_token

    def claim_for_submission(self, order: Order) -> tuple[Order, bool]:
        claimed = order.model_copy(deep=True)
        if claimed.status is OrderStatus.QUEUED:
            claimed.transition(OrderStatus.SUBMITTED)
        condition = OrderItem.pk.does_not_exist() | (OrderItem.status == OrderStatus.QUEUED.value)
        try:
            # Only for an account still kept: a message queued before an erasure recreates nothing.
            write([Save(order_item(claimed), condition)], account=kept(order.user_id))
        except ConditionFailed as exc:
            stored = self.get_order(order.user_id, order.order_id)
            if stored is None:
                raise Conflict(f"order {order.order_id} vanished while being claimed") from exc
            return stored, False
        return claimed, True

    def save_order(
        self, order: Order, expected: OrderStatus, expected_fills: int, audit: AuditEvent | None = None
    ) -> None:
        condition = (OrderItem.status == expected.value) & (OrderItem.fill_count == expected_fills)
        try:
            write([Save(order_item(order), condition)], audit, account=kept(order.user_id))
        except ConditionFailed as exc:
            raise Conflict(f"order {order.order_id} changed since it was read") from exc

    def request_cancel(self, order: Order, audit: AuditEvent | None = None) -> Order | None:
        """Mark a queued order canceled, or flag an open one for cancel. None when it is already final."""
        item = OrderItem(keys.user_pk(order.user_id), keys.order_sk(order.order_id))
        if order.status is OrderStatus.QUEUED:
            actions = [OrderItem.status.set(OrderStatus.CANCELED.value), OrderItem.cancel_requested.set(1)]
            condition = OrderItem.status == OrderStatus.QUEUED.value
        else:
            actions = [OrderItem.cancel_requested.set(1)]
            condition = OrderItem.status.is_in(
                OrderStatus.SUBMITTED.value, OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value
            )
        try:
            write([Update(item, actions, condition)], audit, account=active(order.user_id))
        except ConditionFailed:
            return None
        return self.get_order(order.user_id, order.order_id)

    def open_orders(self, broker: BrokerName, limit: int | None = None) -> list[Order]:
        """Every order still open at the broker (all pages unless limited)."""
        query = OrderItem.open_orders.query(keys.open_orders_pk(broker.value), limit=limit)
        return [order_from(item) for item in query]
