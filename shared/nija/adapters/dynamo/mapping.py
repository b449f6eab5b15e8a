"""Between the domain's values and the state table's items: one mapping, used by every store and
reader (orders, positions, trades, profiles, credential metadata, kill switches, breakers,
permissions)."""

from __future__ import annotations

from decimal import Decimal

from nija.adapters.dynamo import keys
from nija.adapters.dynamo.models import (
    BreakerItem,
    CredentialItem,
    OrderItem,
    PermissionsItem,
    PositionItem,
    SwitchItem,
    TradeItem,
    UserItem,
)
from nija.domain.credentials import CredentialMetadata, Permission
from nija.domain.models import BrokerName, OrderType, Position, Role, Side, Tier, Trade, User, UserStatus
from nija.domain.money import fmt
from nija.domain.orders import Order, OrderStatus
from nija.domain.permissions import PermissionsRecord, UserPermissions
from nija.domain.reconciliation import sweep_slot
from nija.domain.switches import Breaker, BreakerState, KillSwitch, SwitchScope


def order_item(order: Order) -> OrderItem:
    is_open = order.status.is_open or order.status is OrderStatus.SUBMITTED
    return OrderItem(
        keys.user_pk(order.user_id),
        keys.order_sk(order.order_id),
        gsi1pk=keys.open_orders_pk(order.broker.value) if is_open else None,
        gsi1sk=keys.open_order_sk(order.user_id, order.order_id) if is_open else None,
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


def order_from(item: OrderItem) -> Order:
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


def position_item(p: Position) -> PositionItem:
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


def position_from(item: PositionItem) -> Position:
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


def trade_item(t: Trade) -> TradeItem:
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


def trade_from(item: TradeItem) -> Trade:
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


def user_item(user: User) -> UserItem:
    return UserItem(
        keys.user_pk(user.user_id),
        keys.PROFILE,
        gsi2pk=keys.USERS_INDEX,
        gsi2sk=keys.user_by_time_sk(user.created_at, user.user_id),
        email=user.email,
        tier=user.tier.value,
        status=user.status.value,
        role=user.role.value,
        mfa_enabled=user.mfa_enabled,
        trading_disabled_reason=user.trading_disabled_reason,
        consecutive_broker_errors=user.consecutive_broker_errors,
        created_at=user.created_at,
    )


def user_from(item: UserItem) -> User:
    return User(
        user_id=keys.user_id_of(item.pk),
        email=item.email,
        tier=Tier(item.tier),
        status=UserStatus(item.status),
        role=Role(item.role),
        mfa_enabled=bool(item.mfa_enabled),
        trading_disabled_reason=item.trading_disabled_reason,
        consecutive_broker_errors=int(item.consecutive_broker_errors or 0),
        created_at=item.created_at,
    )


def switch_from(item: SwitchItem) -> KillSwitch:
    return KillSwitch(
        scope=SwitchScope(item.scope),
        target=item.target,
        mode=item.mode,
        engaged_by=item.engaged_by,
        reason=item.reason or "",
        engaged_at=item.engaged_at,
    )


def breaker_from(item: BreakerItem) -> Breaker:
    return Breaker(
        broker=item.broker,
        state=BreakerState(item.state),
        failures=int(item.failures),
        opened_at=item.opened_at,
        probe_until=item.probe_until,
        version=int(item.version),
    )


def credential_item(m: CredentialMetadata) -> CredentialItem:
    return CredentialItem(
        keys.user_pk(m.user_id),
        keys.credential_sk(m.broker.value),
        gsi1pk=keys.CREDENTIALS_INDEX,
        gsi1sk=keys.credential_index_sk(m.user_id, m.broker.value),
        gsi2pk=keys.sweep_pk(m.broker.value, sweep_slot(m.user_id, m.broker)),
        gsi2sk=m.user_id,
        user_id=m.user_id,
        broker=m.broker.value,
        masked_key=m.masked_key,
        version=m.version,
        can_read=m.permissions.read,
        can_trade=m.permissions.trade,
        can_withdraw=m.permissions.withdraw,
        paper_trading=m.paper_trading,
        created_at=m.created_at,
        validated_at=m.validated_at,
        wrapped_at=m.wrapped_at,
    )


def credential_from(i: CredentialItem) -> CredentialMetadata:
    return CredentialMetadata(
        user_id=i.user_id,
        broker=BrokerName(i.broker),
        masked_key=i.masked_key,
        version=int(i.version),
        permissions=Permission(read=bool(i.can_read), trade=i.can_trade, withdraw=i.can_withdraw),
        paper_trading=i.paper_trading,
        created_at=i.created_at,
        validated_at=i.validated_at,
        wrapped_at=i.wrapped_at,
    )


def permissions_item(user_id: str, record: PermissionsRecord) -> PermissionsItem:
    return PermissionsItem(
        keys.user_pk(user_id),
        keys.PERMISSIONS,
        permissions=record.permissions.model_dump_json(),
        updated_by=record.updated_by or "",
        updated_at=record.updated_at,
    )


def permissions_from(item: PermissionsItem) -> PermissionsRecord:
    return PermissionsRecord(
        permissions=UserPermissions.model_validate_json(item.permissions),
        updated_by=item.updated_by or None,
        updated_at=item.updated_at,
    )
