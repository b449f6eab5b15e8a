"""Manual orders from the API: validate, record as queued, enqueue; read and cancel (OrderDesk, the
use case the /v1/orders routes call; the functions under it serve the tests and benchmarks too)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import Conflict, InvalidInput, NotFound
from nija.domain.ids import client_order_id, intent_id, manual_source
from nija.domain.instruments import instrument, validate_order_numbers
from nija.domain.messages import CancelOrder, PlaceOrder
from nija.domain.models import BrokerName, Money, OrderIntent, OrderType, Principal, Side
from nija.domain.money import fmt
from nija.domain.orders import Order, OrderStatus
from nija.domain.permissions import UserPermissions, trading_refusal
from nija.domain.risk import RefusalCode, TradingMode
from nija.ports.queue import OrderQueue
from nija.ports.stores import OrderStore
from nija.ports.telemetry import BROKER, ORDERS_PLACED, NoTelemetry, Telemetry

MAX_REQUEST_ID = 64


class OrderRequest(BaseModel):
    """The body of POST /v1/orders."""

    model_config = ConfigDict(extra="forbid")

    broker: BrokerName
    symbol: str = Field(min_length=3, max_length=32)
    side: Side
    type: OrderType = OrderType.MARKET
    quantity: Money
    limit_price: Money | None = None


def build_intent(principal: Principal, request: OrderRequest, request_id: str | None) -> OrderIntent:
    """Validate the request against the instrument and derive the deterministic intent."""
    inst = instrument(request.broker, request.symbol)
    validate_order_numbers(inst, request.quantity, request.type, request.limit_price)
    if request_id is not None and not (0 < len(request_id) <= MAX_REQUEST_ID and request_id.isprintable()):
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_REQUEST_ID} printable characters", field="Idempotency-Key"
        )
    source = manual_source(request_id or uuid.uuid4().hex)
    iid = intent_id(principal.user_id, source, request.symbol, request.side.value)
    return OrderIntent(
        intent_id=iid,
        client_order_id=client_order_id(iid),
        user_id=principal.user_id,
        broker=request.broker,
        symbol=request.symbol,
        side=request.side,
        type=request.type,
        quantity=request.quantity,
        limit_price=request.limit_price,
        source=source,
    )


def place_order(
    principal: Principal,
    request: OrderRequest,
    request_id: str | None,
    store: OrderStore,
    queue: OrderQueue,
    telemetry: Telemetry = NoTelemetry(),  # noqa: B008 - stateless
) -> Order:
    """Record the order as queued (with its `orders.place` audit event, atomically), then enqueue it.
    A retried request (same Idempotency-Key) is a no-op that re-sends the intent while it is still
    queued, so a crash between the two writes loses nothing."""
    intent = build_intent(principal, request, request_id)
    if request_id is not None:
        store.claim_request_key(principal.user_id, request_id, intent.intent_id)
    new = Order.from_intent(intent)
    order, created = store.create_order(new, audit=order_event("orders.place", new, principal.user_id))
    if not created and _differs(order, intent):
        raise Conflict("this Idempotency-Key was already used for a different order")
    if order.status is OrderStatus.QUEUED:
        queue.send(PlaceOrder(intent=intent if created else order.to_intent()))
    if created:  # a retry with the same Idempotency-Key is the same order: counted once
        telemetry.count(ORDERS_PLACED, **{BROKER: order.broker.value})
    return order


def order_event(action: str, order: Order, actor: str, **details: str) -> AuditEvent:
    """An order's audit record: what, where, how much, and the order's state."""
    return AuditEvent(
        action=action,
        outcome=Outcome.SUCCESS,
        subject=order.user_id,
        actor=actor,
        details={
            "order_id": order.order_id,
            "broker": order.broker.value,
            "symbol": order.symbol,
            "side": order.side.value,
            "type": order.type.value,
            "quantity": fmt(order.quantity),
            **({"limit_price": fmt(order.limit_price)} if order.limit_price is not None else {}),
            "status": order.status.value,
            "source": order.source,
            **details,
        },
    )


def _differs(order: Order, intent: OrderIntent) -> bool:
    return (order.broker, order.type, order.quantity, order.limit_price) != (
        intent.broker,
        intent.type,
        intent.quantity,
        intent.limit_price,
    )


def get_order(principal: Principal, order_id: str, store: OrderStore) -> Order:
    order = store.get_order(principal.user_id, order_id)
    if order is None:  # another user's id looks exactly like a missing one
        raise NotFound(f"order {order_id} not found")
    return order


def cancel_order(principal: Principal, order_id: str, store: OrderStore, queue: OrderQueue) -> Order:
    """Cancel a queued order at once; ask the executor to cancel an open one at the broker."""
    order = get_order(principal, order_id, store)
    if order.status.is_terminal:
        raise Conflict(f"order {order_id} is already {order.status.value}")
    after = order.model_copy(
        update={
            "cancel_requested": True,
            "status": OrderStatus.CANCELED if order.status is OrderStatus.QUEUED else order.status,
        }
    )
    updated = store.request_cancel(order, audit=order_event("orders.cancel", after, principal.user_id))
    if updated is None:
        current = get_order(principal, order_id, store)
        raise Conflict(f"order {order_id} is already {current.status.value}")
    if not updated.status.is_terminal:
        queue.send(CancelOrder(user_id=order.user_id, broker=order.broker, order_id=order.order_id))
    return updated


@dataclass(frozen=True)
class OrderDesk:
    """The /v1/orders use cases for one caller at a time."""

    orders: OrderStore
    queue: OrderQueue
    connected: Callable[[str, BrokerName], bool]  # keys for the broker now (a consistent read)
    mode_for: Callable[[str, str], TradingMode]  # the strictest kill switch for user and broker
    telemetry: Telemetry
    # what an admin allows the user (nija.domain.permissions); the default restricts nothing
    permissions_for: Callable[[str], UserPermissions] = lambda _: UserPermissions()

    def place(self, principal: Principal, request: OrderRequest, request_id: str | None) -> Order:
        """Refuse at once what the executor would refuse for sure (no keys, trading turned off by an
        admin, a halting kill switch), then record and queue. The permissions' other checks wait for
        the executor: an order that reduces a position passes them, and only it knows the price."""
        if (refusal := trading_refusal(self.permissions_for(principal.user_id))) is not None:
            raise Conflict(refusal.message, code=refusal.code)
        broker = request.broker.value
        if not self.connected(principal.user_id, request.broker):
            raise Conflict(
                f"connect your {broker} account first: PUT /v1/brokers/{broker}/credentials",
                code=RefusalCode.BROKER_NOT_CONNECTED,
            )
        if self.mode_for(principal.user_id, broker) is TradingMode.HALTED:
            raise Conflict(
                "trading is halted by a kill switch; no new orders are accepted",
                code=RefusalCode.KILL_SWITCH_HALTED,
            )
        return place_order(principal, request, request_id, self.orders, self.queue, self.telemetry)

    def list(
        self, principal: Principal, limit: int, next_token: str | None
    ) -> tuple[list[Order], str | None]:
        return self.orders.list_orders(principal.user_id, limit, next_token)

    def get(self, principal: Principal, order_id: str) -> Order:
        return get_order(principal, order_id, self.orders)

    def cancel(self, principal: Principal, order_id: str) -> Order:
        return cancel_order(principal, order_id, self.orders, self.queue)
