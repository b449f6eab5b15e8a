"""Reconciliation on the executor's schedule: balances at the broker against our positions, for the
users a fill or a connection made due and the users of the minute's sweep slot."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.dynamo.mapping import position_item
from nija.domain.errors import BrokerTemporaryError
from nija.domain.messages import PlaceOrder
from nija.domain.models import BrokerName, Position, User, utcnow
from nija.domain.orders import OrderStatus
from nija.domain.reconciliation import SWEEP_MINUTES, slot_at, sweep_slot
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function
from nija.logic.broker_sync import BrokerSync
from nija.logic.reconcile import compare
from nija.ports.broker import Balance
from tests.kit import an_executor, an_order

PAPER = BrokerName.PAPER


def outside_the_sweep(now: datetime) -> str:
    """A user id the sweep does not visit in the next few minutes: only a reminder brings them."""
    soon = {slot_at(PAPER, now + timedelta(minutes=m)) for m in range(-1, 5)}
    while True:
        user = str(uuid.uuid4())
        if sweep_slot(user, PAPER) not in soon:
            return user


def connected(user: str) -> str:
    wiring.users().put_user(User(user_id=user, email=f"{user[:8]}@example.com"))
    identity.connect_paper(user)
    return user


def hold(user: str, quantity: str, version: int) -> None:
    """Our ledger's position, written as if fills had made it (the paper broker gave nothing)."""
    position_item(
        Position(user_id=user, broker=PAPER, symbol="BTC/USD", quantity=Decimal(quantity), version=version)
    ).save()


@pytest.fixture
def sync(aws: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    handler = load_function("executor", "reconcile").handler
    event = load_event("executor/scheduled_sync")
    return lambda: handler(event, LambdaContext("nija-test-executor-paper"))


def reconcile_events(user: str) -> list[tuple[str, dict[str, str]]]:
    return [
        (e.action, e.details)
        for e in wiring.audit_records().events_for(user)
        if e.action.startswith("reconcile.")
    ]


def test_compare_names_each_base_asset_that_differs() -> None:
    user = "4ec0ac11-0000-4000-8000-000000000001"
    positions = [
        Position(user_id=user, broker=PAPER, symbol="BTC/USD", quantity=Decimal("0.5")),
        Position(user_id=user, broker=PAPER, symbol="ETH/USD", quantity=Decimal("2")),
        Position(user_id=user, broker=BrokerName.KRAKEN, symbol="SOL/USD", quantity=Decimal("9")),
    ]
    balances = {
        "BTC": Balance(asset="BTC", free=Decimal("0.5"), total=Decimal("0.5")),
        "USD": Balance(asset="USD", free=Decimal(1), total=Decimal(1)),
    }
    (diff,) = compare(user, PAPER, positions, balances)
    assert (diff.asset, diff.ours, diff.theirs) == ("ETH", "2", "0")


def test_connecting_makes_the_user_due_and_values_the_account(sync: Any) -> None:
    user = connected(outside_the_sweep(utcnow()))
    assert wiring.risk_store().equity_state(user)[0] == {}  # the scan has nothing to size from yet

    report = sync()
    assert (report["due"], report["checked"], report["skipped"], report["differences"]) == (1, 1, {}, 0)
    assert wiring.risk_store().equity_state(user)[0] == {"paper": Decimal("100000")}
    assert sync()["due"] == 0  # reminded once: the sweep brings the user back in their slot


def test_a_drift_is_recorded_when_it_appears_changes_and_ends(sync: Any) -> None:
    user = connected(outside_the_sweep(utcnow()))
    book = wiring.reconcile_book()
    sync()

    def again() -> int:
        book.schedule(user, PAPER, utcnow())
        report = sync()
        assert report["checked"] == 1
        return int(report["differences"])

    hold(user, "0.25", 1)
    assert again() == 1
    assert again() == 0  # the same drift an hour later: not recorded again
    hold(user, "0.5", 2)
    assert again() == 1
    hold(user, "0", 3)
    assert again() == 0
    assert reconcile_events(user) == [  # newest first
        ("reconcile.resolved", {"broker": "paper", "asset": "BTC", "ours": "0.5", "theirs": "0"}),
        ("reconcile.difference", {"broker": "paper", "asset": "BTC", "ours": "0.5", "theirs": "0"}),
        ("reconcile.difference", {"broker": "paper", "asset": "BTC", "ours": "0.25", "theirs": "0"}),
    ]


def test_a_fill_makes_the_user_due_a_minute_later(sync: Any) -> None:
    now = utcnow()
    user = connected(outside_the_sweep(now))
    sync()
    order = an_order(user, quantity="0.01")
    wiring.orders().create_order(order)
    assert an_executor().place(PlaceOrder(intent=order.to_intent())).status is OrderStatus.FILLED
    (due,) = wiring.reconcile_book().due(PAPER, now + timedelta(minutes=2))
    assert due.user_id == user and now.timestamp() + 55 <= due.due_at <= now.timestamp() + 65
    assert sync()["due"] == 0  # not yet: the exchange's balances may not show the fill


def test_each_minute_reconciles_the_users_of_its_sweep_slot_only(aws: None) -> None:
    users = [connected(str(uuid.uuid4())) for _ in range(6)]
    book = wiring.reconcile_book()
    for reminder in book.due(PAPER, utcnow() + timedelta(minutes=1)):
        book.done(reminder)  # connecting made them due: here only the sweep counts
    start = datetime(2026, 12, 1, tzinfo=UTC)
    period = SWEEP_MINUTES[PAPER]
    container = wiring.container()
    checked: dict[str, int] = {}
    for minute in range(period):
        at = start + timedelta(minutes=minute)
        sync = BrokerSync(
            container.executor(PAPER), container.orders, _reconciler_at(at), book, lambda at=at: at
        )
        report = sync.run()
        for user in users:
            if sweep_slot(user, PAPER) == slot_at(PAPER, at):
                checked[user] = checked.get(user, 0) + 1
        assert report.checked == sum(1 for u in users if sweep_slot(u, PAPER) == slot_at(PAPER, at))
    assert checked == dict.fromkeys(users, 1)  # each user once in the period


def _reconciler_at(at: datetime) -> Any:
    import dataclasses

    reconciler = wiring.broker_sync(PAPER).reconciler
    return dataclasses.replace(reconciler, clock=lambda: at)


class RefusesOne:
    """The paper broker, but one user's balance reads fail as an exchange's 429 would."""

    def __init__(self, real: Any, refused: str) -> None:
        self._real, self._refused = real, refused

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def account(self, user_id: str) -> Any:
        if user_id == self._refused:
            raise BrokerTemporaryError("429 Too Many Requests")
        return self._real.account(user_id)


def test_a_broker_failing_for_one_user_leaves_the_others_reconciled_and_them_due(aws: None) -> None:
    import dataclasses

    now = utcnow()
    throttled, served = connected(outside_the_sweep(now)), connected(outside_the_sweep(now))
    sync = wiring.broker_sync(PAPER)
    reconciler = dataclasses.replace(sync.reconciler, broker=RefusesOne(wiring.broker(PAPER), throttled))
    report = dataclasses.replace(sync, reconciler=reconciler).run()
    assert (report.due, report.checked, report.skipped) == (2, 1, {"broker_temporary": 1})
    assert [d.user_id for d in wiring.reconcile_book().due(PAPER, utcnow())] == [throttled]  # next minute
    assert wiring.risk_store().equity_state(served)[0] == {"paper": Decimal("100000")}
    assert wiring.broker_sync(PAPER).run().checked == 1  # the broker answers again: done
    assert wiring.reconcile_book().due(PAPER, utcnow()) == []


def test_a_backlog_of_reminders_drains_oldest_first_a_bounded_number_a_run(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import nija.logic.broker_sync as broker_sync

    monkeypatch.setattr(broker_sync, "DUE_A_RUN", 2)
    now = utcnow()
    users = [connected(outside_the_sweep(now)) for _ in range(3)]
    book = wiring.reconcile_book()
    for minutes, user in zip((3, 1, 2), users, strict=True):  # made due 3, 1 and 2 minutes ago
        book.schedule(user, PAPER, now - timedelta(minutes=minutes))
    first = wiring.broker_sync(PAPER).run()
    assert (first.due, first.checked) == (2, 2)
    assert [d.user_id for d in book.due(PAPER, utcnow())] == [users[1]]  # the newest waits a minute
    assert wiring.broker_sync(PAPER).run().checked == 1
