"""The storage ports over DynamoDB (pynamodb). Every write that guards money is conditional."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError, UpdateError

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.models import (
    AuditItem,
    LoginGuardItem,
    OrderItem,
    PositionItem,
    RequestKeyItem,
    TradeItem,
    UserItem,
    bind,
)
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import Conflict, InvalidInput
from nija.domain.lockout import LoginGuard
from nija.domain.models import (
    BrokerName,
    Fill,
    OrderType,
    Position,
    Role,
    Side,
    Tier,
    Trade,
    User,
    UserStatus,
)
from nija.domain.money import fmt
from nija.domain.orders import Order, OrderStatus

REQUEST_KEY_TTL_S = 7 * 24 * 3600


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def _encode_cursor(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode() if key else None


def _decode_cursor(cursor: str | None, pk: str) -> dict[str, Any] | None:
    """A page token is DynamoDB's last key; it must belong to the caller's own partition."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        owner = key["pk"]["S"]
    except (ValueError, TypeError, KeyError):
        raise InvalidInput("next_token is not a token this API issued", field="next_token") from None
    if owner != pk or not all(isinstance(v, dict) for v in key.values()):
        raise InvalidInput("next_token is not a token this API issued", field="next_token")
    return key


# --- mapping between domain and storage ------------------------------------------------------


def _user_item(user: User) -> UserItem:
    return UserItem(
        keys.user_pk(user.user_id),
        keys.PROFILE,
        email=user.email,
        tier=user.tier.value,
        status=user.status.value,
        role=user.role.value,
        mfa_enabled=user.mfa_enabled,
        api_key_id=user.api_key_id,
        api_key=user.api_key,
        trading_disabled_reason=user.trading_disabled_reason,
        consecutive_broker_errors=user.consecutive_broker_errors,
        created_at=user.created_at,
    )


def _user(item: UserItem) -> User:
    return User(
        user_id=item.pk.removeprefix("USER#"),
        email=item.email,
        tier=Tier(item.tier),
        status=UserStatus(item.status),
        role=Role(item.role),
        mfa_enabled=bool(item.mfa_enabled),
        api_key_id=item.api_key_id,
        api_key=item.api_key,
        trading_disabled_reason=item.trading_disabled_reason,
        consecutive_broker_errors=int(item.consecutive_broker_errors or 0),
        created_at=item.created_at,
    )


def _order_item(order: Order) -> OrderItem:
    is_open = order.status.is_open or order.status is OrderStatus.SUBMITTED
    return OrderItem(
        keys.user_pk(order.user_id),
        keys.order_sk(order.order_id),
        gsi1pk=keys.open_orders_pk(order.broker.value) if is_open else None,
        gsi1sk=f"{order.user_id}#{order.order_id}" if is_open else None,
        order_id=order.order_id,
        client_order_id=order.client_order_id,
        user_id=order.user_id,
        broker=order.broker.value,
        symbol=order.symbol,
        side=order.side.value,
        order_type=order.type.value,
        quantity=fmt(order.quantity),
        limit_price=fmt(order.limit_price) if order.limit_price is not None else None,
        status=order.status.value,
        filled_quantity=fmt(order.filled_quantity),
        average_fill_price=fmt(order.average_fill_price) if order.average_fill_price is not None else None,
        fees=fmt(order.fees),
        broker_order_id=order.broker_order_id,
        reason_code=order.reason_code,
        reason_message=order.reason_message,
        cancel_requested=int(order.cancel_requested),
        source=order.source,
        trade_ids=list(order.trade_ids),
        fill_count=len(order.trade_ids),
        created_at=order.created_at,
        updated_at=order.updated_at,
        gsi2pk=keys.user_pk(order.user_id),
        gsi2sk=keys.order_by_time_sk(order.created_at, order.order_id),
    )


def _order(item: OrderItem) -> Order:
    return Order(
        order_id=item.order_id,
        client_order_id=item.client_order_id,
        user_id=item.user_id,
        broker=BrokerName(item.broker),
        symbol=item.symbol,
        side=Side(item.side),
        type=OrderType(item.order_type),
        quantity=Decimal(item.quantity),
        limit_price=Decimal(item.limit_price) if item.limit_price else None,
        status=OrderStatus(item.status),
        filled_quantity=Decimal(item.filled_quantity),
        average_fill_price=Decimal(item.average_fill_price) if item.average_fill_price else None,
        fees=Decimal(item.fees),
        broker_order_id=item.broker_order_id,
        reason_code=item.reason_code,
        reason_message=item.reason_message,
        cancel_requested=bool(item.cancel_requested),
        source=item.source,
        trade_ids=list(item.trade_ids or []),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


def _position_item(p: Position) -> PositionItem:
    return PositionItem(
        keys.user_pk(p.user_id),
        keys.position_sk(p.broker.value, p.symbol),
        user_id=p.user_id,
        broker=p.broker.value,
        symbol=p.symbol,
        quantity=fmt(p.quantity),
        average_price=fmt(p.average_price),
        realized_pnl=fmt(p.realized_pnl),
        version=p.version,
        updated_at=p.updated_at,
    )


def _position(item: PositionItem) -> Position:
    return Position(
        user_id=item.user_id,
        broker=BrokerName(item.broker),
        symbol=item.symbol,
        quantity=Decimal(item.quantity),
        average_price=Decimal(item.average_price),
        realized_pnl=Decimal(item.realized_pnl),
        version=int(item.version),
        updated_at=item.updated_at,
    )


def _trade_item(t: Trade) -> TradeItem:
    return TradeItem(
        keys.user_pk(t.user_id),
        keys.trade_sk(t.broker.value, t.order_id, t.trade_id),
        user_id=t.user_id,
        broker=t.broker.value,
        order_id=t.order_id,
        trade_id=t.trade_id,
        symbol=t.symbol,
        side=t.side.value,
        quantity=fmt(t.quantity),
        price=fmt(t.price),
        fee=fmt(t.fee),
        realized_pnl=fmt(t.realized_pnl),
        timestamp=t.timestamp,
        gsi2pk=keys.user_pk(t.user_id),
        gsi2sk=keys.trade_by_time_sk(t.timestamp, t.trade_id),
    )


def _trade(item: TradeItem) -> Trade:
    return Trade(
        user_id=item.user_id,
        broker=BrokerName(item.broker),
        order_id=item.order_id,
        trade_id=item.trade_id,
        symbol=item.symbol,
        side=Side(item.side),
        quantity=Decimal(item.quantity),
        price=Decimal(item.price),
        fee=Decimal(item.fee),
        realized_pnl=Decimal(item.realized_pnl),
        timestamp=item.timestamp,
    )


# --- the store -------------------------------------------------------------------------------


class DynamoStore:
    """UserStore, OrderStore and Ledger over the single state table."""

    def __init__(self) -> None:
        bind()

    # users
    def get_user(self, user_id: str) -> User | None:
        try:
            return _user(UserItem.get(keys.user_pk(user_id), keys.PROFILE, consistent_read=True))
        except UserItem.DoesNotExist:
            return None

    def put_user(self, user: User) -> None:
        _user_item(user).save()

    def create_user(self, user: User) -> bool:
        """Write the profile if the user has none yet; False when one exists."""
        try:
            _user_item(user).save(condition=UserItem.pk.does_not_exist())
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def delete_user(self, user_id: str) -> None:
        UserItem(keys.user_pk(user_id), keys.PROFILE).delete()

    # sign-in guards
    def get_guard(self, name: str) -> LoginGuard:
        try:
            item = LoginGuardItem.get(keys.login_guard_pk(name), keys.GUARD, consistent_read=True)
        except LoginGuardItem.DoesNotExist:
            return LoginGuard()
        return LoginGuard(
            failures=tuple(float(f) for f in item.failures or []),
            locked_until=float(item.locked_until),
            version=int(item.version),
        )

    def put_guard(self, name: str, guard: LoginGuard) -> bool:
        item = LoginGuardItem(
            keys.login_guard_pk(name),
            keys.GUARD,
            failures=list(guard.failures),
            locked_until=guard.locked_until,
            version=guard.version,
        )
        previous = guard.version - 1
        condition = (
            LoginGuardItem.pk.does_not_exist() if previous == 0 else LoginGuardItem.version == previous
        )
        try:
            item.save(condition=condition)
        except PutError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    # audit
    def record(self, event: AuditEvent) -> None:
        sk = f"{keys.sortable_time(event.at)}#{event.event_id}"
        AuditItem(
            keys.audit_pk(event.subject),
            sk,
            gsi1pk="AUDIT",
            gsi1sk=sk,
            action=event.action,
            outcome=event.outcome.value,
            subject=event.subject,
            actor=event.actor,
            details=dict(event.details),
            source_ip=event.source_ip,
            at=event.at,
            event_id=event.event_id,
        ).save(condition=AuditItem.pk.does_not_exist())

    def events_for(self, subject: str, since: datetime | None = None, limit: int = 100) -> list[AuditEvent]:
        condition = AuditItem.sk >= keys.sortable_time(since) if since else None
        return [
            AuditEvent(
                action=i.action,
                outcome=Outcome(i.outcome),
                subject=i.subject,
                actor=i.actor,
                details={k: str(v) for k, v in (i.details.as_dict() if i.details else {}).items()},
                source_ip=i.source_ip,
                at=i.at,
                event_id=i.event_id,
            )
            for i in AuditItem.query(keys.audit_pk(subject), condition, limit=limit, scan_index_forward=False)
        ]

    # orders
    def create_order(self, order: Order) -> tuple[Order, bool]:
        try:
            _order_item(order).save(condition=OrderItem.pk.does_not_exist())
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
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
        try:
            item.save(condition=RequestKeyItem.pk.does_not_exist() | (RequestKeyItem.order_id == order_id))
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict("this Idempotency-Key was already used for a different order") from None
            raise

    def get_order(self, user_id: str, order_id: str) -> Order | None:
        try:
            return _order(OrderItem.get(keys.user_pk(user_id), keys.order_sk(order_id), consistent_read=True))
        except OrderItem.DoesNotExist:
            return None

    def list_orders(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Order], str | None]:
        pk = keys.user_pk(user_id)
        result = OrderItem.by_time.query(
            pk,
            OrderItem.gsi2sk.startswith("ORDER#"),
            limit=limit,
            last_evaluated_key=_decode_cursor(cursor, pk),
            scan_index_forward=False,
        )
        orders = [_order(item) for item in result]
        return orders, _encode_cursor(result.last_evaluated_key)

    def claim_for_submission(self, order: Order) -> tuple[Order, bool]:
        claimed = order.model_copy(deep=True)
        if claimed.status is OrderStatus.QUEUED:
            claimed.transition(OrderStatus.SUBMITTED)
        condition = OrderItem.pk.does_not_exist() | (OrderItem.status == OrderStatus.QUEUED.value)
        try:
            _order_item(claimed).save(condition=condition)
        except PutError as exc:
            if not _conditional_failed(exc):
                raise
            stored = self.get_order(order.user_id, order.order_id)
            if stored is None:
                raise Conflict(f"order {order.order_id} vanished while being claimed") from exc
            return stored, False
        return claimed, True

    def save_order(self, order: Order, expected: OrderStatus, expected_fills: int) -> None:
        condition = (OrderItem.status == expected.value) & (OrderItem.fill_count == expected_fills)
        try:
            _order_item(order).save(condition=condition)
        except PutError as exc:
            if _conditional_failed(exc):
                raise Conflict(f"order {order.order_id} changed since it was read") from exc
            raise

    def request_cancel(self, order: Order) -> Order | None:
        """Mark a queued order canceled, or flag an open one for cancel. None when it is already final."""
        try:
            if order.status is OrderStatus.QUEUED:
                item = OrderItem(keys.user_pk(order.user_id), keys.order_sk(order.order_id))
                item.update(
                    actions=[
                        OrderItem.status.set(OrderStatus.CANCELED.value),
                        OrderItem.cancel_requested.set(1),
                    ],
                    condition=OrderItem.status == OrderStatus.QUEUED.value,
                )
            else:
                item = OrderItem(keys.user_pk(order.user_id), keys.order_sk(order.order_id))
                item.update(
                    actions=[OrderItem.cancel_requested.set(1)],
                    condition=OrderItem.status.is_in(
                        OrderStatus.SUBMITTED.value,
                        OrderStatus.ACCEPTED.value,
                        OrderStatus.PARTIALLY_FILLED.value,
                    ),
                )
        except UpdateError as exc:
            if _conditional_failed(exc):
                return None
            raise
        return self.get_order(order.user_id, order.order_id)

    def open_orders(self, broker: BrokerName, limit: int | None = None) -> list[Order]:
        """Every order still open at the broker (all pages unless limited)."""
        query = OrderItem.open_orders.query(keys.open_orders_pk(broker.value), limit=limit)
        return [_order(item) for item in query]

    # ledger
    def record_fill(self, order: Order, fill: Fill, position: Position, trade: Trade) -> bool:
        # Imported here: only the executor writes fills, and the API's cold start stays lighter.
        from pynamodb.transactions import TransactWrite

        previous_fills = len(order.trade_ids) - 1

        connection = OrderItem._get_connection().connection  # reuse its client: a new one costs ~100 ms
        position_condition = (
            PositionItem.pk.does_not_exist()
            if position.version == 1
            else PositionItem.version == position.version - 1
        )
        try:
            with TransactWrite(connection=connection) as tx:
                tx.save(_trade_item(trade), condition=TradeItem.pk.does_not_exist())
                tx.save(_order_item(order), condition=OrderItem.fill_count == previous_fills)
                tx.save(_position_item(position), condition=position_condition)
        except TransactWriteError as exc:
            reasons = [getattr(r, "code", None) for r in (exc.cancellation_reasons or []) if r is not None]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if "ConditionalCheckFailed" in reasons:
                raise Conflict(f"order {order.order_id} or its position changed since it was read") from exc
            raise
        return True

    def get_position(self, user_id: str, broker: BrokerName, symbol: str) -> Position | None:
        try:
            item = PositionItem.get(
                keys.user_pk(user_id), keys.position_sk(broker.value, symbol), consistent_read=True
            )
        except PositionItem.DoesNotExist:
            return None
        return _position(item)

    def list_positions(self, user_id: str) -> list[Position]:
        return [
            _position(i)
            for i in PositionItem.query(keys.user_pk(user_id), PositionItem.sk.startswith("POS#"))
        ]

    def list_trades(self, user_id: str, limit: int, cursor: str | None) -> tuple[list[Trade], str | None]:
        pk = keys.user_pk(user_id)
        result = TradeItem.by_time.query(
            pk,
            TradeItem.gsi2sk.startswith("TRADE#"),
            limit=limit,
            last_evaluated_key=_decode_cursor(cursor, pk),
            scan_index_forward=False,
        )
        return [_trade(i) for i in result], _encode_cursor(result.last_evaluated_key)
