"""The executor's use case: one order message in, exactly one broker order out.

The order is claimed with a conditional write before the broker is called and the client order id
is derived from the intent, so a redelivered message looks the order up at the broker instead of
placing it again. Every fill is recorded once, by trade id, together with the position it changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from nija.domain.errors import (
    AccountInactive,
    BrokerAuthFailed,
    BrokerError,
    BrokerThrottled,
    CircuitOpen,
    Conflict,
    DuplicateFill,
    OrderNotFound,
    UnknownOutcome,
)
from nija.domain.messages import CancelOrder, PlaceOrder
from nija.domain.models import Fill, Position, Trade, utcnow
from nija.domain.money import fmt
from nija.domain.orders import Order, OrderStatus
from nija.domain.risk import RefusalCode
from nija.domain.switches import Breaker, BreakerState
from nija.logic.executor_parts import Breakers, Guard
from nija.logic.order_diff import audit_event, diff_order
from nija.logic.orders import order_event
from nija.logic.positions import apply_fill
from nija.logic.pretrade import PreTradeState
from nija.ports.audit import AuditLog
from nija.ports.broker import Broker, BrokerAccount, BrokerOrder, BrokerOrderRequest
from nija.ports.stores import Ledger, OrderStore
from nija.ports.telemetry import (
    BREAKER_OPEN,
    BROKER,
    ORDERS_DROPPED,
    ORDERS_FILLED,
    ORDERS_REFUSED,
    REASON_CODE,
    Telemetry,
)

MAX_CONFLICT_RETRIES = 5
# How long a claimed order may be absent at the broker before the sync calls it missing: the
# executor claims, then submits within its 30 s timeout; redeliveries come within minutes.
IN_FLIGHT = timedelta(minutes=10)


def _in_flight(order: Order) -> bool:
    return order.status is OrderStatus.SUBMITTED and utcnow() - order.updated_at < IN_FLIGHT


class SyncResult(NamedTuple):
    changed: int  # orders whose record changed
    differences: int  # differences found (and audited) between our records and the broker's


BROKER_ENDED = {  # the audit action of an order the broker ended
    OrderStatus.CANCELED: "orders.canceled",
    OrderStatus.EXPIRED: "orders.expired",
    OrderStatus.REJECTED: "orders.reject",
}


@dataclass(frozen=True)
class Executor:
    orders: OrderStore
    ledger: Ledger
    broker: Broker
    # Keys still there, kill switches, the user's state and the hard risk controls, just before a submit.
    guard: Guard
    # The broker's circuit breaker, around every submit.
    breakers: Breakers
    # Where the open-order sync records each difference it finds with the broker.
    audit: AuditLog
    telemetry: Telemetry

    def handle(self, message: PlaceOrder | CancelOrder) -> Order | None:
        try:
            if isinstance(message, PlaceOrder):
                return self.place(message)
            return self.cancel(message)
        except AccountInactive:
            # Being erased or gone (nija.domain.standing): nothing more is sent or recorded for the
            # account, and the erasure removes what is left. A retry could not change that.
            self.telemetry.warning("dropped an order message: the account is being erased or gone")
            self.telemetry.count(ORDERS_DROPPED, **{BROKER: message.broker.value})
            return None

    def place(self, message: PlaceOrder) -> Order:
        intent = message.intent
        order, claimed = self.orders.claim_for_submission(Order.from_intent(intent))
        if not claimed and (order.status.is_terminal or order.status is OrderStatus.QUEUED):
            self.telemetry.info(
                "order already settled; nothing to do", order_id=order.order_id, status=order.status
            )
            return order
        state = self.guard.state(order)
        if not state.connected:  # the keys were removed while the order waited in the queue
            return self._reject(
                order,
                BrokerAuthFailed(
                    f"the {intent.broker.value} account was disconnected",
                    code=RefusalCode.BROKER_NOT_CONNECTED,
                ),
            )
        try:
            account = self.broker.account(intent.user_id)
        except BrokerError as exc:
            if exc.retryable:
                raise
            return self._reject(order, exc)
        remote = None if claimed else account.get_order(order.client_order_id)
        if remote is None:
            if (refusal := self.guard(order, account, state)) is not None:
                return self._refuse(order, refusal.code, refusal.message)
            remote = self._submit(account, order, state)
            if remote is None:
                return order
        return self.reconcile(order, remote)

    def _submit(self, account: BrokerAccount, order: Order, state: PreTradeState) -> BrokerOrder | None:
        request = BrokerOrderRequest(
            client_order_id=order.client_order_id,
            symbol=order.symbol,
            side=order.side,
            type=order.type,
            quantity=order.quantity,
            limit_price=order.limit_price,
        )
        broker = order.broker.value
        # Raises while the breaker is open: the message waits (and the open state is reported).
        try:
            breaker = self.breakers.before_call(broker, state.breaker)
        except CircuitOpen:
            self.telemetry.count(BREAKER_OPEN, 1, **{BROKER: broker})
            raise
        try:
            placed = account.place_order(request)
        except BrokerThrottled:
            raise  # held back by our own request budget: nothing reached the broker, nothing failed
        except UnknownOutcome:
            self._broker_result(order, breaker, ok=False)
            found = account.get_order(order.client_order_id)
            if found is None:
                raise  # still unknown: let the message come back and look again
            return found
        except BrokerError as exc:
            # Temporary errors are the broker failing: its breaker counts them. Refusals (auth, funds,
            # invalid order) are the broker working, but count against the user's own record.
            self._broker_result(order, breaker, ok=not exc.retryable)
            if exc.retryable:
                raise
            if reason := self.guard.broker_result(order.user_id, ok=False):
                self.telemetry.warning("trading disabled for a user", user_id=order.user_id, reason=reason)
            self._reject(order, exc)
            return None
        self._broker_result(order, breaker, ok=True)
        self.guard.broker_result(order.user_id, ok=True, seen=state)
        return placed

    def _broker_result(self, order: Order, breaker: Breaker, *, ok: bool) -> None:
        broker = order.broker.value
        after = self.breakers.after_call(broker, ok, breaker)
        if after.state != breaker.state and after.state in (BreakerState.OPEN, BreakerState.CLOSED):
            # Opened (1) or closed again after a probe (0): the BreakerOpen alarm follows these.
            self.telemetry.count(BREAKER_OPEN, int(after.state is BreakerState.OPEN), **{BROKER: broker})
            self.telemetry.warning(f"the {broker} circuit breaker is {after.state.value}", **{BROKER: broker})

    def _reject(self, order: Order, exc: BrokerError) -> Order:
        return self._refuse(order, exc.code, exc.message)

    def _refuse(self, order: Order, code: str, message: str) -> Order:
        expected, fills = order.status, len(order.trade_ids)
        order.reject(code, message)
        event = order_event("orders.reject", order, "executor", reason_code=code)
        self.orders.save_order(order, expected, fills, audit=event)
        self.telemetry.warning("order rejected", order_id=order.order_id, reason_code=code)
        self.telemetry.count(ORDERS_REFUSED, **{BROKER: order.broker.value, REASON_CODE: code})
        return order

    def cancel(self, message: CancelOrder) -> Order | None:
        order = self.orders.get_order(message.user_id, message.order_id)
        if order is None or order.status.is_terminal or order.status is OrderStatus.QUEUED:
            return order
        try:
            remote = self.broker.account(message.user_id).cancel_order(order.client_order_id)
        except OrderNotFound:
            # The broker never took the order (its place message failed for good): nothing can fill.
            expected, fills = order.status, len(order.trade_ids)
            order.transition(
                OrderStatus.CANCELED, reason_code=OrderNotFound.code, reason="unknown at the broker"
            )
            event = order_event("orders.canceled", order, "executor", reason_code=OrderNotFound.code)
            self.orders.save_order(order, expected, fills, audit=event)
            return order
        except BrokerError as exc:
            if exc.retryable:
                raise
            self.telemetry.warning("the broker refused a cancel", order_id=order.order_id, error=exc.code)
            return order
        return self.reconcile(order, remote)

    def sync_open_orders(self, orders: Iterable[Order]) -> SyncResult:
        """Look each open order up at the broker, audit every difference, then record what changed
        (fills of resting limit orders, cancels and expiries made at the broker)."""
        changed = found = 0
        for order in orders:
            try:
                remote = self.broker.account(order.user_id).get_order(order.client_order_id)
                if remote is None and _in_flight(order):
                    continue  # claimed, its message still on its way to the broker: not a difference
                differences = diff_order(order, remote)
                found += len(differences)
                for diff in differences:
                    self.audit.record(audit_event(diff))
                if remote is None:
                    # Audited, status unchanged: a lookup miss may be the exchange's lookup window
                    # (some find an order by client id only for a limited time), not proof the
                    # order is gone. A person decides.
                    continue
                before = (order.status, len(order.trade_ids))
                after = self.reconcile(order, remote)
            except (BrokerError, Conflict, AccountInactive) as exc:
                self.telemetry.warning("could not sync an order", order_id=order.order_id, error=exc.code)
                continue
            changed += (after.status, len(after.trade_ids)) != before
        return SyncResult(changed, found)

    def reconcile(self, order: Order, remote: BrokerOrder) -> Order:
        """Bring our record of the order up to what the broker reports: new fills, then status."""
        for attempt in range(MAX_CONFLICT_RETRIES):
            try:
                return self._reconcile_once(order, remote)
            except Conflict:
                if attempt == MAX_CONFLICT_RETRIES - 1:
                    raise
                fresh = self.orders.get_order(order.user_id, order.order_id)
                if fresh is None:
                    raise
                order = fresh
        raise AssertionError("unreachable")

    def _reconcile_once(self, order: Order, remote: BrokerOrder) -> Order:
        new_fills = [f for f in remote.fills if f.trade_id not in order.trade_ids]
        if order.broker_order_id is None and remote.broker_order_id:
            expected, fills = order.status, len(order.trade_ids)
            order.broker_order_id = remote.broker_order_id
            if order.status is OrderStatus.SUBMITTED and remote.status is not OrderStatus.REJECTED:
                order.transition(OrderStatus.ACCEPTED)
            if not new_fills:  # else the first fill's transaction stores it, in one write
                self.orders.save_order(order, expected, fills)
        for fill in new_fills:
            order = self._record_fill(order, fill)
        final = remote.status
        if final in (
            OrderStatus.CANCELED,
            OrderStatus.EXPIRED,
            OrderStatus.REJECTED,
        ) and order.can_transition(final):
            expected, fills = order.status, len(order.trade_ids)
            order.transition(
                final,
                reason_code=final.value if final is OrderStatus.REJECTED else None,
                reason=remote.reason,
            )
            # Ended at the broker (canceled on request or there, expired, rejected after taking it).
            event = order_event(BROKER_ENDED[final], order, "executor", broker_reason=remote.reason or "")
            self.orders.save_order(order, expected, fills, audit=event)
            if final is OrderStatus.REJECTED:  # taken by the broker, then rejected there
                self.telemetry.count(ORDERS_REFUSED, **{BROKER: order.broker.value, REASON_CODE: final.value})
        return order

    def _record_fill(self, current: Order, fill: Fill) -> Order:
        """Record one fill with its trade and position; returns the order as now stored."""
        order = current.model_copy(deep=True)
        try:
            order.apply_fill(fill)
        except DuplicateFill:
            return current
        position = self.ledger.get_position(order.user_id, order.broker, order.symbol) or Position(
            user_id=order.user_id, broker=order.broker, symbol=order.symbol
        )
        new_position, realized = apply_fill(position, order.side, fill)
        trade = Trade(
            user_id=order.user_id,
            broker=order.broker,
            order_id=order.order_id,
            trade_id=fill.trade_id,
            symbol=order.symbol,
            side=order.side,
            quantity=fill.quantity,
            price=fill.price,
            fee=fill.fee,
            realized_pnl=realized,
            timestamp=fill.timestamp,
        )
        event = order_event(
            "orders.fill",
            order,
            "executor",
            trade_id=fill.trade_id,
            fill_quantity=fmt(fill.quantity),
            fill_price=fmt(fill.price),
            fee=fmt(fill.fee),
        )
        if not self.ledger.record_fill(order, fill, new_position, trade, audit=event):
            # Recorded by an earlier delivery: our copy is stale, so carry on from the stored one.
            fresh = self.orders.get_order(order.user_id, order.order_id)
            if fresh is None:
                raise Conflict(f"order {order.order_id} vanished")
            return fresh
        if order.status is OrderStatus.FILLED:  # this fill completed it; recorded once, counted once
            self.telemetry.count(ORDERS_FILLED, **{BROKER: order.broker.value})
        return order
