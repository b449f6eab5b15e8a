"""The paper book in the DynamoDB state table, shared by every process (API, executor pollers).

Items, in the user's paper partition (keys: nija.adapters.dynamo.keys): a PaperBalanceItem per asset
(total, reserved, version) and a PaperOrderItem per order, also in gsi1 while it rests.
A Change is one TransactWrite: the order put on condition of its previous status (or absence) and
each balance put on condition of its previous version (or absence). Either all of it lands or none.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.transactions import TransactWrite

from nija.adapters.aws import client
from nija.adapters.dynamo import keys
from nija.adapters.dynamo.binding import bind
from nija.adapters.dynamo.models import PaperBalanceItem, PaperOrderItem
from nija.adapters.dynamo.writes import ConditionFailed, Save, write
from nija.adapters.paper.book import Change, Holding, PaperOrder
from nija.config import get_settings
from nija.domain.errors import BrokerError, BrokerTemporaryError, UnknownOutcome
from nija.domain.models import Fill, OrderType, Side
from nija.domain.money import ZERO, fmt
from nija.domain.orders import OrderStatus
from nija.domain.standing import active

_CONFLICTS = {"ConditionalCheckFailed", "TransactionConflict"}
_OPEN = (OrderStatus.ACCEPTED.value, OrderStatus.PARTIALLY_FILLED.value)


def _balance_item(user_id: str, h: Holding) -> PaperBalanceItem:
    return PaperBalanceItem(
        keys.paper_pk(user_id),
        keys.paper_balance_sk(h.asset),
        asset=h.asset,
        total=fmt(h.total),
        reserved=fmt(h.reserved),
        version=h.version,
    )


def _holding(item: PaperBalanceItem) -> Holding:
    return Holding(
        asset=item.asset,
        total=Decimal(item.total),
        reserved=Decimal(item.reserved),
        version=int(item.version),
    )


def _fill_map(f: Fill) -> dict[str, str]:
    return {
        "trade_id": f.trade_id,
        "quantity": fmt(f.quantity),
        "price": fmt(f.price),
        "fee": fmt(f.fee),
        "fee_currency": f.fee_currency,
        "timestamp": f.timestamp.isoformat(),
    }


def _fill(m: Mapping[str, Any]) -> Fill:
    return Fill(
        trade_id=m["trade_id"],
        quantity=Decimal(m["quantity"]),
        price=Decimal(m["price"]),
        fee=Decimal(m["fee"]),
        fee_currency=m.get("fee_currency", "USD"),
        timestamp=datetime.fromisoformat(m["timestamp"]),
    )


def _order_item(o: PaperOrder) -> PaperOrderItem:
    is_open = o.status.is_open
    return PaperOrderItem(
        keys.paper_pk(o.user_id),
        keys.paper_order_sk(o.client_order_id),
        gsi1pk=keys.PAPER_OPEN if is_open else None,
        gsi1sk=o.user_id if is_open else None,
        broker_order_id=o.broker_order_id,
        client_order_id=o.client_order_id,
        symbol=o.symbol,
        side=o.side.value,
        order_type=o.type.value,
        quantity=fmt(o.quantity),
        limit_price=fmt(o.limit_price) if o.limit_price is not None else None,
        status=o.status.value,
        fills=[_fill_map(f) for f in o.fills],
        reserved=fmt(o.reserved),
        created_at=o.created_at,
    )


def _order(item: PaperOrderItem) -> PaperOrder:
    return PaperOrder(
        user_id=keys.paper_user_id_of(item.pk),
        broker_order_id=item.broker_order_id,
        client_order_id=item.client_order_id,
        symbol=item.symbol,
        side=Side(item.side),
        type=OrderType(item.order_type),
        quantity=Decimal(item.quantity),
        limit_price=Decimal(item.limit_price) if item.limit_price else None,
        status=OrderStatus(item.status),
        reserved=Decimal(item.reserved) if item.reserved else ZERO,
        fills=tuple(_fill(m) for m in item.fills or []),
        created_at=item.created_at,
    )


class DynamoPaperStore:
    """PaperStore over the single state table (pynamodb models bound on construction)."""

    def __init__(self) -> None:
        bind()

    def holdings(self, user_id: str) -> dict[str, Holding]:
        try:
            items = PaperBalanceItem.query(
                keys.paper_pk(user_id),
                PaperBalanceItem.sk.startswith(keys.PAPER_BALANCE_PREFIX),
                consistent_read=True,
            )
            return {h.asset: h for h in map(_holding, items)}
        except PynamoDBException as exc:
            raise BrokerTemporaryError(f"paper book unavailable: {exc.msg}") from exc

    def get_order(self, user_id: str, client_order_id: str) -> PaperOrder | None:
        try:
            item = PaperOrderItem.get(
                keys.paper_pk(user_id), keys.paper_order_sk(client_order_id), consistent_read=True
            )
        except PaperOrderItem.DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise BrokerTemporaryError(f"paper book unavailable: {exc.msg}") from exc
        return _order(item)

    def open_orders(self, user_id: str) -> list[PaperOrder]:
        try:
            items = PaperOrderItem.query(
                keys.paper_pk(user_id),
                PaperOrderItem.sk.startswith(keys.PAPER_ORDER_PREFIX),
                filter_condition=PaperOrderItem.status.is_in(*_OPEN),
                consistent_read=True,
            )
            return [_order(i) for i in items]
        except PynamoDBException as exc:
            raise BrokerTemporaryError(f"paper book unavailable: {exc.msg}") from exc

    def users_with_open_orders(self) -> list[str]:
        table = get_settings().catalogue.state_table
        index = table.indexes[0].name
        users: set[str] = set()
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=table.name,
                IndexName=index,
                KeyConditionExpression="gsi1pk = :pk",
                ExpressionAttributeValues={":pk": {"S": keys.PAPER_OPEN}},
                ProjectionExpression="gsi1sk",
            )
        )
        try:
            for page in pages:
                users.update(item["gsi1sk"]["S"] for item in page.get("Items", []))
        except (BotoCoreError, ClientError) as exc:
            raise BrokerTemporaryError(f"paper book unavailable: {exc}") from exc
        return sorted(users)

    def apply(self, change: Change) -> bool:
        order, user = change.order, change.order.user_id
        # The model's cached connection: a new Connection would build a new botocore client per call.
        connection = PaperOrderItem._get_connection().connection
        order_condition = (
            PaperOrderItem.pk.does_not_exist()
            if change.expected_status is None
            else PaperOrderItem.status == change.expected_status.value
        )
        try:
            with TransactWrite(connection=connection) as tx:
                tx.save(_order_item(order), condition=order_condition)
                for h in change.holdings:
                    condition = (
                        PaperBalanceItem.pk.does_not_exist()
                        if h.version == 1
                        else PaperBalanceItem.version == h.version - 1
                    )
                    tx.save(_balance_item(user, h), condition=condition)
        except TransactWriteError as exc:
            reasons = {getattr(r, "code", None) for r in (exc.cancellation_reasons or []) if r is not None}
            if reasons & _CONFLICTS:
                return False
            if reasons:
                raise BrokerError(f"paper book refused the write: {sorted(map(str, reasons))}") from exc
            raise UnknownOutcome(f"paper book write of {order.client_order_id} may not have landed") from exc
        return True

    def seed(self, user_id: str, amounts: Mapping[str, Decimal]) -> None:
        """Open the user's paper account, at their own request (connecting the paper broker): only
        while their account is active, so an erasure under way is not followed by new balances."""
        for asset, amount in amounts.items():
            item = _balance_item(user_id, Holding(asset=asset, total=amount, version=1))
            try:
                write([Save(item, PaperBalanceItem.pk.does_not_exist())], account=active(user_id))
            except ConditionFailed:
                continue  # funded before
            except PynamoDBException as exc:
                raise BrokerTemporaryError(f"paper book unavailable: {exc.msg}") from exc
