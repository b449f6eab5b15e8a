"""The /v1/orders use cases (nija.logic.orders.OrderDesk) on in-memory ports: what is refused at
once, what is recorded and queued, and that a retried request is one order, counted once."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from kit import MemoryOrders, MemoryQueue, RecordedTelemetry

from nija.domain.errors import Conflict, NotFound
from nija.domain.messages import CancelOrder, PlaceOrder
from nija.domain.models import BrokerName, Principal
from nija.domain.orders import Order, OrderStatus
from nija.domain.risk import TradingMode
from nija.logic.orders import OrderDesk, OrderRequest
from nija.ports.telemetry import ORDERS_PLACED

ALICE, BOB = Principal(user_id="alice"), Principal(user_id="bob")
BUY = OrderRequest.model_validate(
    {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
)


@dataclass
class Desk:
    """An OrderDesk over in-memory ports, and those ports to look at."""

    connected: bool = True
    mode: TradingMode = TradingMode.ACTIVE
    store: MemoryOrders = field(default_factory=MemoryOrders)
    queue: MemoryQueue = field(default_factory=MemoryQueue)
    telemetry: RecordedTelemetry = field(default_factory=RecordedTelemetry)

    @property
    def use_case(self) -> OrderDesk:
        return OrderDesk(
            self.store, self.queue, lambda u, b: self.connected, lambda u, b: self.mode, self.telemetry
        )

    def place(self, who: Principal, request: OrderRequest, key: str | None) -> Order:
        return self.use_case.place(who, request, key)


def desk(*, connected: bool = True, mode: TradingMode = TradingMode.ACTIVE) -> Desk:
    return Desk(connected, mode)


def test_an_order_is_recorded_queued_audited_and_counted() -> None:
    d = desk()
    order = d.place(ALICE, BUY, "k-1")
    assert order.status is OrderStatus.QUEUED and order.user_id == "alice"
    assert d.store.get_order("alice", order.order_id) == order
    assert [type(m) for m in d.queue.sent] == [PlaceOrder]
    assert [e.action for e in d.store.audit] == ["orders.place"]
    assert d.telemetry.counts == [(ORDERS_PLACED, 1, {"broker": "paper"})]


def test_a_retry_with_the_same_key_is_the_same_order_counted_once() -> None:
    d = desk()
    first, again = d.place(ALICE, BUY, "k-1"), d.place(ALICE, BUY, "k-1")
    assert again.order_id == first.order_id
    assert len(d.telemetry.counts) == 1
    # Still queued: the intent is sent again (the queue deduplicates it), so a crash loses nothing.
    assert len(d.queue.sent) == 2
    with pytest.raises(Conflict, match="different order"):
        d.place(ALICE, BUY.model_copy(update={"quantity": BUY.quantity * 2}), "k-1")


@pytest.mark.parametrize(
    ("connected", "mode", "code"),
    [(False, TradingMode.ACTIVE, "broker_not_connected"), (True, TradingMode.HALTED, "kill_switch_halted")],
)
def test_what_the_executor_would_refuse_for_sure_is_refused_at_once(
    connected: bool, mode: TradingMode, code: str
) -> None:
    d = desk(connected=connected, mode=mode)
    with pytest.raises(Conflict) as refused:
        d.place(ALICE, BUY, None)
    assert refused.value.code == code
    assert d.queue.sent == [] and d.store.orders == {}


def test_reducing_still_takes_orders_the_executor_then_checks() -> None:
    assert desk(mode=TradingMode.REDUCING).place(ALICE, BUY, None).broker is BrokerName.PAPER


def test_another_users_order_looks_missing_and_a_queued_one_cancels_at_once() -> None:
    d = desk()
    order = d.place(ALICE, BUY, None)
    with pytest.raises(NotFound):
        d.use_case.get(BOB, order.order_id)
    with pytest.raises(NotFound):
        d.use_case.cancel(BOB, order.order_id)
    canceled = d.use_case.cancel(ALICE, order.order_id)
    assert canceled.status is OrderStatus.CANCELED and canceled.cancel_requested
    assert not any(isinstance(m, CancelOrder) for m in d.queue.sent)
    with pytest.raises(Conflict, match="already canceled"):
        d.use_case.cancel(ALICE, order.order_id)
