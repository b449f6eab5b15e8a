"""Exactly-once effect under faults (issue 5, items 3 and 4), through the real executor handler on moto.

The executor is stopped at each step of an order's way: before it records the order, after it
recorded it, after the broker accepted it but before the outcome is recorded, between the recorded
acceptance and the recorded fill (market orders), and after the outcome is recorded. The stop is a
`Crash`: a BaseException raised by thin wrappers around the REAL ports the handler's Executor is
built with (nija.wiring's DynamoDB stores and the DynamoDB-backed paper broker), so no `except Exception`
anywhere can swallow it. The invocation dies like a killed Lambda sandbox, its messages come back when
their visibility timeout ends (made immediate here) and the next invocation runs in a new sandbox.
The message is then delivered again up to 3 times, with a crash on the second delivery too in some
cases. In every case the paper broker holds exactly one order per intent, our order ends filled
(market) or accepted (resting limit), every fill is one trade, the position counts each fill once,
and the message is deleted in the end or waits in the DLQ: no intent is lost.

Also: an unknown outcome (a timeout) is resolved by looking the order up at the broker by client
order id before any retry, and a fill the broker reports more than once is recorded once (by trade id).
"""

from __future__ import annotations

import functools
import itertools
import random
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from kit import paper_orders

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.paper import book
from nija.adapters.paper.broker import PaperBroker
from nija.adapters.paper.feed import PaperFeed
from nija.config import get_settings
from nija.domain.errors import BrokerTemporaryError, UnknownOutcome
from nija.domain.messages import PlaceOrder, parse_order_message
from nija.domain.models import BrokerName, OrderType, Principal, User
from nija.domain.orders import Order, OrderStatus
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function, queue_arn, sqs_event
from nija.local.stack import audit_writer_poller
from nija.logic import orders
from nija.logic.orders import OrderRequest
from nija.ports.broker import BrokerOrder, BrokerOrderRequest
from tests.kit import order_part

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")

REGION = "us-east-1"
START = datetime(2026, 11, 25, 21, 0, tzinfo=UTC)  # the paper feed's clock stands still at this instant
FUNDS = Decimal("100000")  # the default risk settings allow 5% of equity per position


# --- what an order looks like ----------------------------------------------------------------

MARKET, LIMIT = "market", "limit"
SOL_LIMIT_SHARE = Decimal("0.97")  # a buy limit 3% under the mark: it rests until the price dips


@functools.cache
def resting_limit(seed: int) -> Decimal:
    return (PaperFeed(seed).price("SOL/USD", START) * SOL_LIMIT_SHARE).quantize(Decimal("0.01"))


@functools.cache
def dip(seed: int) -> datetime:
    """The first minute after START at which SOL/USD trades at or under the resting limit."""
    feed, limit = PaperFeed(seed), resting_limit(seed)
    return next(
        START + timedelta(minutes=m)
        for m in range(1, 60 * 24 * 60)
        if feed.price("SOL/USD", START + timedelta(minutes=m)) <= limit
    )


def order_fields(kind: str, symbol: str | None = None) -> dict[str, str]:
    if kind == MARKET:
        symbol = symbol or "BTC/USD"
        quantity = {"BTC/USD": "0.01", "ETH/USD": "0.1"}[symbol]
        return {"symbol": symbol, "type": "market", "quantity": quantity}
    limit = resting_limit(get_settings().feed_seed)
    return {"symbol": "SOL/USD", "type": "limit", "quantity": "2", "limit_price": str(limit)}


# --- fault injection around the real ports ---------------------------------------------------


class Crash(BaseException):
    """The executor's process dies here. A BaseException: no `except Exception` can swallow it."""


# The points where the wrappers can stop or fail the executor, in the order an order reaches them.
CLAIM_BEFORE = "store.claim_for_submission:before"
CLAIM_AFTER = "store.claim_for_submission:after"
PLACE_BEFORE = "account.place_order:before"
PLACE_AFTER = "account.place_order:after"
GET_BEFORE = "account.get_order:before"
SAVE_AFTER = "store.save_order:after"
FILL_AFTER = "store.record_fill:after"
ANY_POINT = "*"  # a fault counting the hits of every point

# The steps of issue 5 item 4, as indices in the order an order passes them.
STEPS = (
    "before_recording",  # nothing of the executor's is stored yet (the API's queued record only)
    "after_recording",  # claimed (submitted) with a conditional write, the broker not called
    "broker_accepted",  # the broker took the order; we have not recorded what it said
    "outcome_recorded",  # everything stored: the fill, trade and position, or the resting acceptance
)
# A filled order's broker id and acceptance are stored by its first fill's transaction, with the
# trade and the position: there is no moment with the acceptance recorded and the fill not.


def steps_for(kind: str) -> tuple[str, ...]:
    return STEPS


def point_of(step: str, kind: str) -> str:
    return {
        "before_recording": CLAIM_BEFORE,
        "after_recording": CLAIM_AFTER,
        "broker_accepted": PLACE_AFTER,
        "outcome_recorded": FILL_AFTER if kind == MARKET else SAVE_AFTER,
    }[step]


def progress(step: str, kind: str) -> int:
    """How far a crash at `step` got: the index of the last durable effect (0: none of ours)."""
    return STEPS.index(step)


# What a crash at each step leaves: (our order's status, orders on the paper book, trades).
LEFT_BY_CRASH: dict[tuple[str, str], tuple[OrderStatus, int, int]] = {
    (MARKET, "before_recording"): (OrderStatus.QUEUED, 0, 0),
    (MARKET, "after_recording"): (OrderStatus.SUBMITTED, 0, 0),
    (MARKET, "broker_accepted"): (OrderStatus.SUBMITTED, 1, 0),
    (MARKET, "outcome_recorded"): (OrderStatus.FILLED, 1, 1),
    (LIMIT, "before_recording"): (OrderStatus.QUEUED, 0, 0),
    (LIMIT, "after_recording"): (OrderStatus.SUBMITTED, 0, 0),
    (LIMIT, "broker_accepted"): (OrderStatus.SUBMITTED, 1, 0),
    (LIMIT, "outcome_recorded"): (OrderStatus.ACCEPTED, 1, 0),
}


@dataclass
class Fault:
    """What happens the `on_hit`-th time one delivery reaches a point."""

    action: Callable[[str], None]
    on_hit: int = 1
    hits: int = 0


def _raiser(error: type[BaseException]) -> Callable[[str], None]:
    def action(point: str) -> None:
        raise error(f"injected at {point}")

    return action


def crash(on_hit: int = 1) -> Fault:
    return Fault(_raiser(Crash), on_hit)


def fail(error: type[Exception]) -> Fault:
    return Fault(_raiser(error))


def as_reported(order: BrokerOrder) -> BrokerOrder:
    return order


@dataclass
class Faults:
    """The plan of the delivery in progress, and what the executor asked the broker, in order."""

    plan: dict[str, Fault] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)
    # (client order id, "place" | "get:found" | "get:none" | "get:error"), in the order they were made
    log: list[tuple[str, str]] = field(default_factory=list)
    report: Callable[[BrokerOrder], BrokerOrder] = as_reported  # what the broker says about an order

    @property
    def calls(self) -> list[str]:
        return [call for _, call in self.log]

    def calls_for(self, client_order_id: str) -> list[str]:
        return [call for coid, call in self.log if coid == client_order_id]

    def arm(self, plan: Mapping[str, Fault]) -> None:
        self.plan = dict(plan)

    def at(self, point: str) -> None:
        for key in (point, ANY_POINT):
            fault = self.plan.get(key)
            if fault is None:
                continue
            fault.hits += 1
            if fault.hits == fault.on_hit:
                del self.plan[key]
                self.fired.append(point)
                fault.action(point)


class FaultyOrders:
    """The real order store; the executor's writes pass through fault points."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def claim_for_submission(self, order: Order) -> tuple[Order, bool]:
        self._faults.at(CLAIM_BEFORE)
        claimed = self._real.claim_for_submission(order)
        self._faults.at(CLAIM_AFTER)
        return claimed  # type: ignore[no-any-return]

    def save_order(self, order: Order, expected: OrderStatus, expected_fills: int, **audit: Any) -> None:
        self._real.save_order(order, expected, expected_fills, **audit)
        self._faults.at(SAVE_AFTER)


class FaultyLedger:
    """The real ledger; a fill's write passes through a fault point."""

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def record_fill(self, *args: Any, **audit: Any) -> bool:
        recorded = self._real.record_fill(*args, **audit)
        self._faults.at(FILL_AFTER)
        return recorded  # type: ignore[no-any-return]


class FaultyAccount:
    """A real paper account; its place and lookup pass through fault points and are logged."""

    broker = BrokerName.PAPER

    def __init__(self, real: Any, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def place_order(self, request: BrokerOrderRequest) -> BrokerOrder:
        self._faults.log.append((request.client_order_id, "place"))
        self._faults.at(PLACE_BEFORE)
        placed = self._real.place_order(request)
        self._faults.at(PLACE_AFTER)
        return self._faults.report(placed)

    def get_order(self, client_order_id: str) -> BrokerOrder | None:
        try:
            self._faults.at(GET_BEFORE)
            found = self._real.get_order(client_order_id)
        except BaseException:
            self._faults.log.append((client_order_id, "get:error"))
            raise
        self._faults.log.append((client_order_id, "get:found" if found else "get:none"))
        return None if found is None else self._faults.report(found)

    def cancel_order(self, client_order_id: str) -> BrokerOrder:
        return self._faults.report(self._real.cancel_order(client_order_id))


class FaultyBroker:
    """The real paper broker, handing out fault-injecting accounts."""

    name = BrokerName.PAPER

    def __init__(self, real: PaperBroker, faults: Faults) -> None:
        self._real = real
        self._faults = faults

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def account(self, user_id: str) -> FaultyAccount:
        return FaultyAccount(self._real.account(user_id), self._faults)

    def mark_price(self, symbol: str) -> Decimal | None:
        return self._real.mark_price(symbol)


# --- the rig: the queue, the executor's sandboxes, the books ---------------------------------

_sandboxes = itertools.count()


@dataclass(frozen=True)
class Outcome:
    crashed: bool
    failed: frozenset[str]  # message ids reported back as failed

    @property
    def done(self) -> bool:
        return not self.crashed and not self.failed


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Rig:
    def __init__(self, paper: PaperBroker, faults: Faults, clock: Clock) -> None:
        self.paper = paper  # the real paper broker, for the test's own reads
        self.faults = faults
        self.clock = clock
        cat = get_settings().catalogue
        self.function = cat.executor("paper")
        self.queue = cat.queue("paper")
        self.arn = queue_arn(REGION, self.queue.name)
        self.sandbox = self.new_sandbox()
        # the audit writer on the table's stream: it appends the outbox's events, each once
        self.audit_writer = audit_writer_poller(threading.Event(), "exactly-once", retries=0)

    # the executor
    def new_sandbox(self) -> ModuleType:
        """A fresh Lambda sandbox: the handler module imported anew (its own batch processor)."""
        return load_function("executor", f"exactly-once-{next(_sandboxes)}")

    def invoke(self, sandbox: ModuleType, event: dict[str, Any]) -> Any:
        return sandbox.handler(event, LambdaContext(self.function.name, timeout_s=self.function.timeout_s))

    def deliver(
        self,
        messages: list[dict[str, Any]],
        plan: Mapping[str, Fault] | None = None,
        *,
        lose_delete: bool = False,
        sandbox: ModuleType | None = None,
    ) -> Outcome:
        """What the SQS event source does with one batch: invoke, then delete what did not fail.

        A crash kills the sandbox: nothing is deleted and every message of the batch comes back when
        its visibility timeout ends. `lose_delete` makes succeeded messages come back too (a delete
        that never reached SQS, or an invocation that outlived the visibility timeout)."""
        assert messages, "nothing was received"
        self.faults.arm(plan or {})
        ids = frozenset(m["MessageId"] for m in messages)
        try:
            result = self.invoke(sandbox or self.sandbox, sqs_event(messages, self.arn, REGION))
        except Crash:
            if sandbox is None:
                self.sandbox = self.new_sandbox()
            self.release(messages)
            return Outcome(crashed=True, failed=ids)
        except BatchProcessingError:  # every record failed: the invocation fails
            failed = ids
        else:
            failed = frozenset(f["itemIdentifier"] for f in result["batchItemFailures"])
        for m in messages:
            if m["MessageId"] in failed or lose_delete:
                self.release([m])
            else:
                self.delete(m)
        return Outcome(crashed=False, failed=failed)

    def sync(self) -> Any:
        """The executor's schedule: look every open order up at the broker."""
        return order_part(self.invoke(self.sandbox, load_event("executor/scheduled_sync")))

    # the queue
    def receive(self, *, dlq: bool = False) -> list[dict[str, Any]]:
        return (
            client("sqs")
            .receive_message(
                QueueUrl=queue_url(self.queue.dlq_name if dlq else self.queue.name),
                MaxNumberOfMessages=10,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            .get("Messages", [])
        )

    def release(self, messages: list[dict[str, Any]], *, dlq: bool = False) -> None:
        """The visibility timeout of these messages ends now."""
        url = queue_url(self.queue.dlq_name if dlq else self.queue.name)
        for m in messages:
            client("sqs").change_message_visibility(
                QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=0
            )

    def delete(self, m: dict[str, Any]) -> None:
        client("sqs").delete_message(QueueUrl=queue_url(self.queue.name), ReceiptHandle=m["ReceiptHandle"])

    def redrive(self) -> int:
        """What an operator's DLQ redrive does: each message back on the queue, in its FIFO group,
        with a new deduplication id (SQS drops a resend inside its 5-minute window)."""
        moved = 0
        for m in self.receive(dlq=True):
            client("sqs").send_message(
                QueueUrl=queue_url(self.queue.name),
                MessageBody=m["Body"],
                MessageGroupId=m["Attributes"]["MessageGroupId"],
                MessageDeduplicationId=f"{m['Attributes']['MessageDeduplicationId']}-redrive",
            )
            client("sqs").delete_message(
                QueueUrl=queue_url(self.queue.dlq_name), ReceiptHandle=m["ReceiptHandle"]
            )
            moved += 1
        return moved

    # the user and the API
    def new_user(self) -> str:
        """A user with a profile, funded paper balances and paper keys."""
        user = str(uuid.uuid4())
        self.fund(user)
        return user

    def fund(self, user: str) -> None:
        wiring.users().put_user(User(user_id=user, email=f"{user[:8]}@example.com"))
        self.paper.seed_balances(user, {"USD": FUNDS})
        identity.connect_paper(user)

    def place(self, user: str, kind: str, symbol: str | None = None) -> Order:
        """An order as the API places it: recorded as queued and sent to the paper queue."""
        body = {"broker": "paper", "side": "buy", **order_fields(kind, symbol)}
        key = uuid.uuid4().hex
        request = OrderRequest.model_validate(body)
        return orders.place_order(
            Principal(user_id=user), request, key, wiring.orders(), wiring.order_queue()
        )

    # the books
    def ours(self, order: Order) -> Order:
        stored = wiring.orders().get_order(order.user_id, order.order_id)
        assert stored is not None, f"intent {order.order_id} lost: no order record"
        return stored  # type: ignore[no-any-return]

    def paper_orders(self, user: str) -> list[dict[str, Any]]:
        return paper_orders(user)

    def trades(self, order: Order) -> list[Any]:
        return [
            t
            for t in wiring.ledger().list_trades(order.user_id, 100, None)[0]
            if t.order_id == order.order_id
        ]


@pytest.fixture(scope="module")
def stage() -> Iterator[None]:
    """Stage 'test', its settings and AWS clients built once for the module (a new client costs
    about 70 ms, and this module runs many cases). The vault key is named by its alias, which
    every case's moto gets anew."""
    from nija.config import reset_settings

    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_STAGE", "test")
        reset_settings()
        env.setenv("NIJA_VAULT_KEY_ID", get_settings().catalogue.vault_key_alias)
        reset_settings()
        yield
    reset_settings()


@pytest.fixture
def cloud(stage: None) -> Iterator[None]:
    """What the `aws` fixture of tests/conftest.py gives, on the module's clients: a fresh
    in-process moto with the catalogue's tables, queues and vault key for each case."""
    from moto import mock_aws

    from nija.local.provision import create_vault_key, provision_data_plane

    with mock_aws():
        provision_data_plane(get_settings().catalogue)
        create_vault_key(get_settings().catalogue)
        yield


@pytest.fixture
def rig(cloud: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[Rig]:
    """The executor handler on moto, its ports (nija.wiring's store and paper broker, the real ones)
    wrapped in fault injectors. The paper feed's clock stands still unless a test moves it."""
    wiring.reset()  # every case builds its wiring anew, over its own fault injectors
    clock = Clock(START)
    faults = Faults()
    paper = PaperBroker.from_settings(clock=clock)
    real_broker = wiring.broker

    @functools.cache
    def broker(name: BrokerName) -> Any:
        return FaultyBroker(paper, faults) if name is BrokerName.PAPER else real_broker(name)

    monkeypatch.setattr(wiring.container(), "orders", FaultyOrders(wiring.orders(), faults))
    monkeypatch.setattr(wiring.container(), "ledger", FaultyLedger(wiring.ledger(), faults))
    monkeypatch.setattr(wiring.container(), "broker", broker)
    yield Rig(paper, faults, clock)


# --- what must hold after every case ---------------------------------------------------------


def assert_exactly_once(rig: Rig, placed: Order) -> None:
    """One order on the paper book for the intent, ours filled (market) or accepted (resting),
    one trade per broker fill, the position counting each fill once."""
    coid, user = placed.client_order_id, placed.user_id
    on_book = [i for i in rig.paper_orders(user) if i["client_order_id"]["S"] == coid]
    assert len(on_book) == 1, f"{len(on_book)} paper orders for one intent"
    remote = rig.paper.account(user).get_order(coid)
    assert remote is not None
    order = rig.ours(placed)
    assert order.broker_order_id == remote.broker_order_id
    trades = rig.trades(order)
    assert sorted(t.trade_id for t in trades) == sorted(f.trade_id for f in remote.fills)
    assert sorted(order.trade_ids) == sorted(f.trade_id for f in remote.fills)
    position = wiring.ledger().get_position(user, BrokerName.PAPER, order.symbol)
    if order.type is OrderType.MARKET:
        assert remote.status is OrderStatus.FILLED
        assert (order.status, order.filled_quantity) == (OrderStatus.FILLED, order.quantity)
        (trade,) = trades
        (fill,) = remote.fills
        assert (trade.quantity, trade.price, trade.fee) == (fill.quantity, fill.price, fill.fee)
        assert position is not None and position.quantity == order.quantity
        assert rig.paper.account(user).balances()[order.symbol.split("/")[0]].total == order.quantity
    else:
        assert remote.status is OrderStatus.ACCEPTED and remote.fills == ()
        assert (order.status, order.filled_quantity, trades) == (OrderStatus.ACCEPTED, 0, [])
        assert position is None or position.quantity == 0
        usd = rig.paper.account(user).balances()["USD"]
        assert order.limit_price is not None
        reserved = book.buy_reservation(order.quantity, order.limit_price, rig.paper.fee_rate)
        assert usd.total - usd.free == reserved  # one reservation: one resting order
    is_open = {(o.user_id, o.order_id) for o in wiring.orders().open_orders(BrokerName.PAPER)}
    assert ((user, order.order_id) in is_open) == (order.status is OrderStatus.ACCEPTED)
    # The audit trail: whatever the crashes, the placement once and each recorded fill once.
    rig.audit_writer.drain()
    trail = [
        e
        for e in wiring.audit_records().events_for(user, limit=1000)
        if e.details.get("order_id") == order.order_id
    ]
    assert sorted(e.action for e in trail if e.action == "orders.place") == ["orders.place"]
    filled = sorted(e.details["trade_id"] for e in trail if e.action == "orders.fill")
    assert filled == sorted(t.trade_id for t in trades)


def assert_queues_empty(rig: Rig) -> None:
    assert rig.receive() == [], "a message is still on the queue"
    assert rig.receive(dlq=True) == [], "a message went to the DLQ"


def assert_looked_up_before_every_retry(calls: list[str]) -> None:
    """A place after the first one comes right after a lookup that found nothing, and nothing is
    placed once a lookup found the order."""
    for i, call in enumerate(calls):
        if call == "place" and "place" in calls[:i]:
            assert calls[i - 1] == "get:none", calls
    if "get:found" in calls:
        assert "place" not in calls[calls.index("get:found") :], calls


def receive_again(rig: Rig, message: dict[str, Any], count: int) -> dict[str, Any]:
    """The same message, back from the queue for its `count`-th receive."""
    (again,) = rig.receive()
    assert again["MessageId"] == message["MessageId"]
    assert int(again["Attributes"]["ApproximateReceiveCount"]) == count
    return again


def first_crash(rig: Rig, kind: str, step: str) -> tuple[Order, dict[str, Any]]:
    """A new user places one order; an executor that dies at `step` gets it."""
    placed = rig.place(rig.new_user(), kind)
    (message,) = rig.receive()
    assert rig.deliver([message], {point_of(step, kind): crash()}).crashed
    assert rig.faults.fired == [point_of(step, kind)]
    status, on_book, trades = LEFT_BY_CRASH[(kind, step)]
    assert rig.ours(placed).status is status
    assert (len(rig.paper_orders(placed.user_id)), len(rig.trades(placed))) == (on_book, trades)
    return placed, message


# --- issue 5 item 4: a crash at every step, then up to 3 deliveries --------------------------

CASES = [(kind, step) for kind in (MARKET, LIMIT) for step in steps_for(kind)]
CASE_IDS = [f"{kind}-{step}" for kind, step in CASES]


@pytest.mark.parametrize("redeliveries", [1, 2, 3])
@pytest.mark.parametrize(("kind", "step"), CASES, ids=CASE_IDS)
def test_a_crash_at_any_step_then_redeliveries_leave_exactly_one_broker_order(
    rig: Rig, kind: str, step: str, redeliveries: int
) -> None:
    """The message comes back after the crash; every redelivery but the last also loses its delete,
    so the order is handled again and again after it succeeded."""
    placed, message = first_crash(rig, kind, step)

    for n in range(1, redeliveries + 1):
        again = receive_again(rig, message, n + 1)
        assert rig.deliver([again], lose_delete=n < redeliveries).done
        assert_exactly_once(rig, placed)

    assert_queues_empty(rig)
    assert rig.faults.calls.count("place") == 1, rig.faults.calls  # the broker was asked once
    assert_looked_up_before_every_retry(rig.faults.calls)


def dies_again_at(first: str, kind: str) -> list[str]:
    """Where the redelivery after a crash at `first` can die again: at the same step if it passes it
    again (a delivery always passes the claim: that is how it learns the state), or at a later one
    (a redelivery skips what is done and passes every step not done yet)."""
    i = progress(first, kind)
    return [s for s in steps_for(kind) if progress(s, kind) > i or (s == first and i <= 1)]


PAIRS = [(kind, a, b) for kind in (MARKET, LIMIT) for a in steps_for(kind) for b in dies_again_at(a, kind)]
PAIR_IDS = [f"{kind}-{a}-then-{b}" for kind, a, b in PAIRS]


@pytest.mark.parametrize(("kind", "first", "second"), PAIRS, ids=PAIR_IDS)
def test_the_redelivery_dies_too(rig: Rig, kind: str, first: str, second: str) -> None:
    """A crash at `first`, the second delivery dies at `second`, then a healthy third one: still
    exactly one broker order."""
    placed, message = first_crash(rig, kind, first)

    assert rig.deliver([receive_again(rig, message, 2)], {point_of(second, kind): crash()}).crashed
    assert rig.faults.fired == [point_of(first, kind), point_of(second, kind)]
    assert rig.deliver([receive_again(rig, message, 3)]).done

    assert_exactly_once(rig, placed)
    assert_queues_empty(rig)
    assert rig.faults.calls.count("place") == 1, rig.faults.calls
    assert_looked_up_before_every_retry(rig.faults.calls)


@pytest.mark.parametrize("step", ["before_recording", "after_recording"])
@pytest.mark.parametrize("kind", [MARKET, LIMIT])
def test_a_message_that_crashes_every_time_waits_in_the_dlq_and_a_redrive_completes_it(
    rig: Rig, kind: str, step: str
) -> None:
    """Crashing before the broker call on every delivery: after the queue's max receive count the
    message moves to the DLQ with the order recorded and never sent; a redrive then completes it."""
    placed, message = first_crash(rig, kind, step)
    for n in range(2, rig.queue.max_receive_count + 1):
        assert rig.deliver([receive_again(rig, message, n)], {point_of(step, kind): crash()}).crashed

    assert rig.receive() == []  # out of receives: SQS moves it to the DLQ
    (dead,) = rig.receive(dlq=True)
    intent = parse_order_message(dead["Body"])
    assert isinstance(intent, PlaceOrder) and intent.intent.intent_id == placed.order_id
    assert rig.ours(placed).status is LEFT_BY_CRASH[(kind, step)][0]  # recorded, not lost
    assert rig.paper_orders(placed.user_id) == [] and rig.faults.calls.count("place") == 0
    rig.release([dead], dlq=True)

    assert rig.redrive() == 1
    (redriven,) = rig.receive()
    assert rig.deliver([redriven]).done

    assert_exactly_once(rig, placed)
    assert_queues_empty(rig)


# --- issue 5 item 3: unknown outcomes and repeated fills -------------------------------------

UNKNOWN_CASES: dict[str, tuple[dict[str, Callable[[], Fault]], list[str], list[str]]] = {
    # plan of the first delivery, broker calls of the first delivery, of the redelivery (if any)
    "placed-then-timed-out": ({PLACE_AFTER: lambda: fail(UnknownOutcome)}, ["place", "get:found"], []),
    "timed-out-before-it-landed": (
        {PLACE_BEFORE: lambda: fail(UnknownOutcome)},
        ["place", "get:none"],
        ["get:none", "place"],
    ),
    "placed-then-timed-out-and-the-lookup-failed": (
        {PLACE_AFTER: lambda: fail(UnknownOutcome), GET_BEFORE: lambda: fail(BrokerTemporaryError)},
        ["place", "get:error"],
        ["get:found"],
    ),
    "placed-then-timed-out-and-died-looking-it-up": (
        {PLACE_AFTER: lambda: fail(UnknownOutcome), GET_BEFORE: crash},
        ["place", "get:error"],
        ["get:found"],
    ),
}


@pytest.mark.parametrize("case", list(UNKNOWN_CASES))
@pytest.mark.parametrize("kind", [MARKET, LIMIT])
def test_an_unknown_outcome_is_looked_up_by_client_order_id_before_any_retry(
    rig: Rig, kind: str, case: str
) -> None:
    plan, first_calls, retry_calls = UNKNOWN_CASES[case]
    alice = rig.new_user()
    placed = rig.place(alice, kind)
    (message,) = rig.receive()

    outcome = rig.deliver([message], {point: make() for point, make in plan.items()})

    assert rig.faults.calls == first_calls
    assert outcome.done is (retry_calls == [])
    if not outcome.done:  # still unknown: the message comes back and the order is looked up first
        assert rig.ours(placed).status is OrderStatus.SUBMITTED
        assert rig.deliver([receive_again(rig, message, 2)]).done
    assert rig.faults.calls == first_calls + retry_calls
    assert_looked_up_before_every_retry(rig.faults.calls)
    assert_exactly_once(rig, placed)
    assert_queues_empty(rig)


def repeated_fills(order: BrokerOrder) -> BrokerOrder:
    """The broker reports every execution three times: as is, re-sent a second later, and again."""
    resent = tuple(
        f.model_copy(update={"timestamp": f.timestamp + timedelta(seconds=1)}) for f in order.fills
    )
    return order.model_copy(update={"fills": (*order.fills, *resent, *order.fills)})


@pytest.mark.parametrize("crash_before_the_fill", [False, True], ids=["straight", "crash-before-the-fill"])
def test_a_market_fill_reported_again_is_recorded_once(rig: Rig, crash_before_the_fill: bool) -> None:
    rig.faults.report = repeated_fills
    alice = rig.new_user()
    placed = rig.place(alice, MARKET)
    (message,) = rig.receive()
    plan = {PLACE_AFTER: crash()} if crash_before_the_fill else {}

    outcome = rig.deliver([message], plan)
    if crash_before_the_fill:  # the redelivery gets the repeated fills from the lookup
        assert outcome.crashed and rig.trades(placed) == []
        outcome = rig.deliver([receive_again(rig, message, 2)])
    assert outcome.done

    assert_exactly_once(rig, placed)
    remote = rig.paper.account(alice).get_order(placed.client_order_id)
    assert remote is not None and rig.trades(placed)[0].timestamp == remote.fills[0].timestamp
    assert_queues_empty(rig)


def test_a_resting_fill_reported_again_on_every_sync_is_recorded_once(rig: Rig) -> None:
    """A resting limit order fills when the price dips; the schedule looks it up twice, and the
    place message comes back once more, each time with the fill reported three times."""
    rig.faults.report = repeated_fills
    alice = rig.new_user()
    placed = rig.place(alice, LIMIT)
    (message,) = rig.receive()
    assert rig.deliver([message], lose_delete=True).done
    assert_exactly_once(rig, placed)

    rig.clock.now = dip(get_settings().feed_seed)
    assert rig.sync() == {
        "broker": "paper",
        "open": 1,
        "changed": 1,
        "order_differences": 1,
        "differences": 0,
    }
    assert rig.sync() == {
        "broker": "paper",
        "open": 0,
        "changed": 0,
        "order_differences": 0,
        "differences": 0,
    }
    assert rig.deliver([receive_again(rig, message, 2)]).done

    filled = rig.ours(placed)
    assert (filled.status, filled.filled_quantity, filled.average_fill_price) == (
        OrderStatus.FILLED,
        placed.quantity,
        placed.limit_price,
    )
    (trade,) = rig.trades(placed)
    assert (trade.quantity, trade.price) == (placed.quantity, placed.limit_price)
    position = wiring.ledger().get_position(alice, BrokerName.PAPER, "SOL/USD")
    assert position is not None and position.quantity == placed.quantity
    assert len(rig.paper_orders(alice)) == 1
    assert rig.faults.calls.count("place") == 1
    assert_queues_empty(rig)


# --- an executor that stalls while a redelivery overtakes it ---------------------------------

STALLS = [
    (MARKET, "after_recording"),
    (MARKET, "broker_accepted"),
    (LIMIT, "after_recording"),
    (LIMIT, "broker_accepted"),
]


@pytest.mark.parametrize(("kind", "step"), STALLS, ids=[f"{k}-{s}" for k, s in STALLS])
def test_a_stalled_executor_overtaken_by_a_redelivery(rig: Rig, kind: str, step: str) -> None:
    """The first executor stalls at `step` past the message's visibility timeout; a second sandbox
    receives the message and completes the order; then the first resumes with its stale copy.

    On Lambda the function's timeout (a sixth of the visibility timeout) ends such a stall first,
    and a FIFO group has one message in flight at a time; the local stack's pollers have no such
    limit. A stall before the broker call leaves both executors calling place_order with the same
    client order id: one broker order then rests on the broker returning the existing order for a
    repeated client order id (the paper broker does)."""
    alice = rig.new_user()
    placed = rig.place(alice, kind)
    (message,) = rig.receive()
    overtaken: list[Outcome] = []

    def overtake(point: str) -> None:
        rig.release([message])
        overtaken.append(rig.deliver([receive_again(rig, message, 2)], sandbox=rig.new_sandbox()))

    assert rig.deliver([message], {point_of(step, kind): Fault(overtake)}).done
    assert [o.done for o in overtaken] == [True]
    assert_exactly_once(rig, placed)
    assert_queues_empty(rig)
    assert rig.faults.calls.count("place") == (2 if step == "after_recording" else 1)


# --- a storm: many users and intents, crashes anywhere in a batch ----------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_a_storm_of_crashes_over_many_users_and_intents(rig: Rig, seed: int) -> None:
    """Two users, three intents each (two market, one resting limit), delivered in batches of all
    that is visible. The first three invocations die at a random fault point of a random record
    (those before it done, their deletes never made); the fourth loses its deletes or not; then
    the queue drains: one broker order per intent, none lost."""
    rnd = random.Random(seed)
    users = [rig.new_user() for _ in range(2)]
    placed: list[Order] = []
    for user in users:
        placed += [
            rig.place(user, MARKET, "BTC/USD"),
            rig.place(user, LIMIT),
            rig.place(user, MARKET, "ETH/USD"),
        ]

    crashes = 0
    for round_ in itertools.count(1):
        messages = rig.receive()
        if not messages:
            break
        assert round_ <= 5, "the queue does not drain"
        plan = {ANY_POINT: crash(rnd.randint(1, 3 * len(messages)))} if round_ <= 3 else {}
        outcome = rig.deliver(messages, plan, lose_delete=round_ == 4 and rnd.random() < 0.5)
        crashes += outcome.crashed
        assert outcome.crashed or not outcome.failed

    assert crashes >= 2, rig.faults.fired
    for order in placed:
        assert_exactly_once(rig, order)
    assert_queues_empty(rig)
    for user in users:
        assert len(rig.paper_orders(user)) == 3
    for order in placed:
        assert rig.faults.calls_for(order.client_order_id).count("place") == 1
        assert_looked_up_before_every_retry(rig.faults.calls_for(order.client_order_id))
