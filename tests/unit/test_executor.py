"""The executor's use case (nija.logic.execution.Executor) on in-memory ports and the paper broker's
in-memory book: one order message in, exactly one broker order out, each refusal with its code."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from kit import MemoryStore, RecordedTelemetry, an_order

from nija.adapters.paper.broker import PaperBroker
from nija.adapters.paper.store import MemoryPaperStore
from nija.domain.errors import CircuitOpen
from nija.domain.messages import PlaceOrder
from nija.domain.orders import Order, OrderStatus
from nija.domain.risk import Refusal, RefusalCode
from nija.domain.switches import Breaker
from nija.logic.execution import Executor
from nija.logic.executor_parts import NoBreakers, NoGuard
from nija.logic.pretrade import PreTradeState
from nija.ports.broker import BrokerAccount
from nija.ports.telemetry import BREAKER_OPEN, ORDERS_FILLED, ORDERS_REFUSED

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
USD = Decimal("10000")


class Refusing(NoGuard):
    def __call__(self, order: Order, account: BrokerAccount, state: PreTradeState) -> Refusal | None:
        return Refusal(code=RefusalCode.DAILY_LOSS_LIMIT, message="down 5 % today")


class Disconnected(NoGuard):
    def state(self, order: Order) -> PreTradeState:
        return PreTradeState(**{**vars(super().state(order)), "connected": False})


class OpenBreaker(NoBreakers):
    def before_call(self, broker: str, seen: Breaker | None = None) -> Breaker:
        raise CircuitOpen(f"{broker} is failing; calls are paused (circuit open)")


def rig(
    guard: NoGuard | None = None, breakers: NoBreakers | None = None
) -> tuple[Executor, MemoryStore, PaperBroker, RecordedTelemetry]:
    store, telemetry = MemoryStore(), RecordedTelemetry()
    paper = PaperBroker.from_settings(store=MemoryPaperStore(), clock=lambda: NOW)
    paper.seed_balances("u1", {"USD": USD})
    executor = Executor(store, store, paper, guard or NoGuard(), breakers or NoBreakers(), store, telemetry)
    return executor, store, paper, telemetry


def queued(store: MemoryStore) -> PlaceOrder:
    order = an_order(quantity="0.01")
    store.create_order(order)
    return PlaceOrder(intent=order.to_intent())


def test_a_queued_order_is_placed_once_and_its_fill_recorded_with_its_position() -> None:
    executor, store, paper, telemetry = rig()
    message = queued(store)
    done = executor.handle(message)
    assert done is not None and done.status is OrderStatus.FILLED
    (trade,) = store.trades.values()
    assert store.get_position("u1", done.broker, "BTC/USD").quantity == Decimal("0.01")  # type: ignore[union-attr]
    assert [e.action for e in store.audit] == ["orders.fill"]
    assert telemetry.counts == [(ORDERS_FILLED, 1, {"broker": "paper"})]
    spent = USD - paper.account("u1").balances()["USD"].total
    assert spent == trade.quantity * trade.price + trade.fee

    # Delivered again (SQS at least once): looked up at the broker, nothing placed or recorded twice.
    again = executor.handle(message)
    assert again is not None and again.status is OrderStatus.FILLED
    assert len(store.trades) == 1 and USD - paper.account("u1").balances()["USD"].total == spent
    assert len(telemetry.counts) == 1


@pytest.mark.parametrize(
    ("guard", "code"),
    [(Refusing(), "daily_loss_limit"), (Disconnected(), "broker_not_connected")],
    ids=["risk", "disconnected"],
)
def test_a_refused_order_is_rejected_with_its_code_and_never_reaches_the_broker(
    guard: NoGuard, code: str
) -> None:
    executor, store, paper, telemetry = rig(guard=guard)
    done = executor.handle(queued(store))
    assert done is not None and done.status is OrderStatus.REJECTED and done.reason_code == code
    assert paper.account("u1").balances()["USD"].total == USD and store.trades == {}
    assert [e.action for e in store.audit] == ["orders.reject"]
    assert (ORDERS_REFUSED, 1, {"broker": "paper", "reason_code": code}) in telemetry.counts


def test_an_open_breaker_holds_the_message_back_and_says_so() -> None:
    executor, store, paper, telemetry = rig(breakers=OpenBreaker())
    message = queued(store)
    with pytest.raises(CircuitOpen):  # the message goes back to the queue
        executor.handle(message)
    assert store.get_order("u1", message.intent.intent_id).status is OrderStatus.SUBMITTED  # type: ignore[union-attr]
    assert paper.account("u1").balances()["USD"].total == USD
    assert telemetry.counts == [(BREAKER_OPEN, 1, {"broker": "paper"})]
