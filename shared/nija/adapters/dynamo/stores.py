"""The storage ports over DynamoDB (pynamodb). Every write that guards money is conditional."""

from __future__ import annotations

import time
from typing import Any

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.accounts import AccountRecords
from nija.adapters.dynamo.cursor import Listing, decode_cursor, encode_cursor
from nija.adapters.dynamo.mapping import (
    order_from,
    order_item,
    position_from,
    position_item,
    trade_from,
    trade_item,
)
from nija.adapters.dynamo.models import (
    OrderItem,
    PnlBucketItem,
    PositionItem,
    RequestKeyItem,
    TradeItem,
)
from nija.adapters.dynamo.writes import ConditionFailed, Save, Update, write
from nija.config import get_settings
from nija.domain.audit import AuditEvent
from nija.domain.errors import Conflict
from nija.domain.models import (
    BrokerName,
    Fill,
    Position,
    Trade,
)
from nija.domain.money import ZERO
from nija.domain.orders import Order, OrderStatus
from nija.domain.standing import active, kept

REQUEST_KEY_TTL_S = 7 * 24 * 3600


def _pnl_actions(fill: Fill, position: Position, trade: Trade) -> list[Any]:
    """ADD the fill to its PnL bucket. A closing fill reduces the position it meets (the position
    before it is the one after, less the fill); only those count towards the win rate."""
    before = position.quantity - fill.quantity * trade.side.sign
    closing = before != ZERO and (before > ZERO) != (trade.side.sign > 0)
    actions = [PnlBucketItem.realized.add(trade.realized_pnl), PnlBucketItem.trades.add(1)]
    if closing:
        actions.append(PnlBucketItem.closing.add(1))
        if trade.realized_pnl > ZERO:
            actions.append(PnlBucketItem.wins.add(1))
    return actions


def _by_time_page(index: Any, pk: str, kind: str) -> Listing:
    """A page of one user's orders or trades by time: the user's own partition of the index (gsi2),
    sort keys of that kind only (the query's begins_with)."""
    return Listing(
        get_settings().catalogue.state_table,
        index.Meta.index_name,
        fixed={"pk": pk, "gsi2pk": pk},
        prefixed={"sk": kind, "gsi2sk": kind},
    )


# --- the store -------------------------------------------------------------------------------


class DynamoStore(AccountRecords):
    """UserStore, sign-in guards and audit (AccountRecords), OrderStore and Ledger over the tables."""

    # orders
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
        pk = keys.user_pk(user_id)
        result = OrderItem.by_time.query(
            pk,
            OrderItem.gsi2sk.startswith(keys.ORDER_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, _by_time_page(OrderItem.by_time, pk, keys.ORDER_PREFIX)),
            scan_index_forward=False,
        )
        orders = [order_from(item) for item in result]
        return orders, encode_cursor(result.last_evaluated_key)

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

    # ledger
    def record_fill(
        self, order: Order, fill: Fill, position: Position, trade: Trade, audit: AuditEvent | None = None
    ) -> bool:
        previous_fills = len(order.trade_ids) - 1
        position_condition = (
            PositionItem.pk.does_not_exist()
            if position.version == 1
            else PositionItem.version == position.version - 1
        )
        # The day's figures, in the same transaction: a fill recorded twice is added once.
        bucket = PnlBucketItem(keys.user_pk(trade.user_id), keys.pnl_bucket_sk(trade.timestamp))
        try:
            write(
                [
                    Save(trade_item(trade), TradeItem.pk.does_not_exist()),
                    Save(order_item(order), OrderItem.fill_count == previous_fills),
                    Save(position_item(position), position_condition),
                    Update(bucket, _pnl_actions(fill, position, trade)),
                ],
                audit,
                account=kept(order.user_id),
            )
        except ConditionFailed as exc:
            if exc.index == 0:  # the trade is recorded: an earlier delivery did all of this
                return False
            raise Conflict(f"order {order.order_id} or its position changed since it was read") from exc
        return True

    def get_position(self, user_id: str, broker: BrokerName, symbol: str) -> Position | None:
        try:
            item = PositionItem.get(
                keys.user_pk(user_id), keys.position_sk(broker.value, symbol), consistent_read=True
            )
        except PositionItem.DoesNotExist:
            return None
        return position_from(item)

    def list_positions(self, user_id: str) -> list[Position]:
        return [
            position_from(i)
            for i in PositionItem.query(
                keys.user_pk(user_id), PositionItem.sk.startswith(keys.POSITION_PREFIX)
            )
        ]

    def list_trades(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Trade], str | None]:
        pk = keys.user_pk(user_id)
        result = TradeItem.by_time.query(
            pk,
            TradeItem.gsi2sk.startswith(keys.TRADE_PREFIX),
            limit=limit,
            last_evaluated_key=decode_cursor(cursor, _by_time_page(TradeItem.by_time, pk, keys.TRADE_PREFIX)),
            scan_index_forward=False,
        )
        return [trade_from(i) for i in result], encode_cursor(result.last_evaluated_key)
