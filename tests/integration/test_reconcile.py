"""Reconciliation on the executor's schedule: balances at the broker against our positions."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nija import wiring
from nija.domain.models import BrokerName, Position, User
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function
from nija.logic.reconcile import compare
from nija.ports.broker import Balance

USER = "4ec0ac11-0000-4000-8000-000000000001"
PAPER = BrokerName.PAPER


def test_compare_names_each_base_asset_that_differs() -> None:
    positions = [
        Position(user_id=USER, broker=PAPER, symbol="BTC/USD", quantity=Decimal("0.5")),
        Position(user_id=USER, broker=PAPER, symbol="ETH/USD", quantity=Decimal("2")),
        Position(user_id=USER, broker=BrokerName.KRAKEN, symbol="SOL/USD", quantity=Decimal("9")),
    ]
    balances = {
        "BTC": Balance(asset="BTC", free=Decimal("0.5"), total=Decimal("0.5")),
        "USD": Balance(asset="USD", free=Decimal(1), total=Decimal(1)),
    }
    (diff,) = compare(USER, PAPER, positions, balances)
    assert (diff.asset, diff.ours, diff.theirs) == ("ETH", "2", "0")


def test_the_sync_schedule_records_a_drift_between_ledger_and_broker(aws: None) -> None:
    wiring.users().put_user(User(user_id=USER, email="recon@example.com"))
    identity.connect_paper(USER)
    sync = load_function("executor", "reconcile").handler
    event = load_event("executor/scheduled_sync")

    assert sync(event, LambdaContext("nija-test-executor-paper"))["differences"] == 0
    # Our ledger says the user holds BTC the paper broker never gave them: a drift to report.
    from nija.adapters.dynamo.mapping import position_item

    position_item(
        Position(user_id=USER, broker=PAPER, symbol="BTC/USD", quantity=Decimal("0.25"), version=1)
    ).save()
    assert sync(event, LambdaContext("nija-test-executor-paper"))["differences"] == 1
    (audited,) = [e for e in wiring.audit_records().events_for(USER) if e.action == "reconcile.difference"]
    assert audited.details == {"broker": "paper", "asset": "BTC", "ours": "0.25", "theirs": "0"}


@pytest.fixture(autouse=True)
def _quiet_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
