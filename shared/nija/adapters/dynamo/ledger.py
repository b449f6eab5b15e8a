"""The ledger (Ledger) over DynamoDB: a fill's trade, order, position and day's PnL bucket in one
transaction, and the positions and trades it leaves."""

from __future__ import annotations

import time
from typing import Any

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.cursor import newest_first
from nija.adapters.dynamo.mapping import order_item, position_from, position_item, trade_from, trade_item
from nija.adapters.dynamo.models import OrderItem, PnlBucketItem, PositionItem, ReconcileDueItem, TradeItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, Update, write
from nija.domain.audit import AuditEvent
from nija.domain.errors import Conflict
from nija.domain.models import BrokerName, Fill, Position, Trade
from nija.domain.money import ZERO
from nija.domain.orders import Order
from nija.domain.reconciliation import AFTER_FILL, DUE_KEPT
from nija.domain.standing import kept


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


def reconcile_due(broker: str, user_id: str) -> ReconcileDueItem:
    """The reminder a fill leaves: reconcile this user at the broker once its balances show the fill
    (nija.domain.reconciliation); a second fill before then moves the reminder on."""
    now = time.time()
    return ReconcileDueItem(
        keys.reconcile_due_pk(broker),
        user_id,
        due_at=int(now + AFTER_FILL.total_seconds()),
        expires_at=int(now + DUE_KEPT.total_seconds()),
    )


class DynamoLedger:
    """Ledger over the state table."""

    def __init__(self) -> None:
        bind()

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
                    Save(reconcile_due(trade.broker.value, trade.user_id)),
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
        items, next_token = newest_first(TradeItem, keys.user_pk(user_id), keys.TRADE_PREFIX, limit, cursor)
        return [trade_from(item) for item in items], next_token
