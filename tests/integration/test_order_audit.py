"""Orders in the audit trail: placed and canceled through the API's use cases, filled and rejected
by the executor; each record in the user's hash chain, which still verifies."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from nija import wiring
from nija.adapters.paper.broker import PaperBroker
from nija.domain.messages import PlaceOrder
from nija.domain.models import BrokerName, Principal
from nija.local import identity
from nija.logic import orders
from nija.logic.execution import Executor
from nija.logic.orders import OrderRequest
from tests.kit import an_executor

ALICE = "a11ce000-0000-4000-8000-0000000000aa"
pytestmark = pytest.mark.members(ALICE)


def _request(**overrides: str) -> OrderRequest:
    return OrderRequest.model_validate(
        {
            "broker": "paper",
            "symbol": "BTC/USD",
            "side": "buy",
            "type": "market",
            "quantity": "0.01",
            **overrides,
        }
    )


def _executor() -> Executor:
    return an_executor(guard=wiring.guard())


def test_an_order_leaves_its_placement_and_fill_in_the_trail(audit_writer: Callable[[], None]) -> None:
    paper = wiring.broker(BrokerName.PAPER)
    assert isinstance(paper, PaperBroker)
    paper.seed_balances(ALICE, {"USD": Decimal("100000")})
    identity.connect_paper(ALICE)
    placed = orders.place_order(
        Principal(user_id=ALICE), _request(), "k1", wiring.orders(), wiring.order_queue()
    )
    again = orders.place_order(
        Principal(user_id=ALICE), _request(), "k1", wiring.orders(), wiring.order_queue()
    )
    assert again.order_id == placed.order_id  # a retry is the same order: audited once
    filled = _executor().place(PlaceOrder(intent=placed.to_intent()))
    assert filled.status.value == "filled"

    big = orders.place_order(
        Principal(user_id=ALICE),
        _request(quantity="50"),
        "k2",
        wiring.orders(),
        wiring.order_queue(),
    )
    refused = _executor().place(PlaceOrder(intent=big.to_intent()))
    assert refused.status.value == "rejected"

    assert not [e for e in wiring.audit_records().events_for(ALICE) if e.action.startswith("orders.")]
    audit_writer()  # the outbox's events reach the chain through the stream
    audit_writer()  # delivered again (a retried batch): nothing appended twice
    trail = [e for e in reversed(wiring.audit_records().events_for(ALICE)) if e.action.startswith("orders.")]
    assert [e.action for e in trail] == ["orders.place", "orders.fill", "orders.place", "orders.reject"]
    place, fill = trail[0], trail[1]
    assert (place.actor, place.details["order_id"], place.details["quantity"]) == (
        ALICE,
        placed.order_id,
        "0.01",
    )
    assert fill.actor == "executor" and fill.details["trade_id"] and fill.details["status"] == "filled"
    assert trail[3].details["reason_code"] == refused.reason_code

    from nija.logic.audit import AuditService

    assert AuditService(wiring.audit_records()).verify(ALICE).ok  # the user's chain verifies with them in it


def test_an_order_the_broker_ends_leaves_that_in_the_trail(audit_writer: Callable[[], None]) -> None:
    from nija.domain.messages import CancelOrder

    paper = wiring.broker(BrokerName.PAPER)
    assert isinstance(paper, PaperBroker)
    paper.seed_balances(ALICE, {"USD": Decimal("100000")})
    identity.connect_paper(ALICE)
    resting = orders.place_order(
        Principal(user_id=ALICE),
        _request(type="limit", limit_price="1.00"),
        "k-rest",
        wiring.orders(),
        wiring.order_queue(),
    )
    assert _executor().place(PlaceOrder(intent=resting.to_intent())).status.value == "accepted"
    asked = orders.cancel_order(
        Principal(user_id=ALICE), resting.order_id, wiring.orders(), wiring.order_queue()
    )
    assert asked.status.value == "accepted" and asked.cancel_requested  # the broker still has it
    ended = _executor().cancel(CancelOrder(user_id=ALICE, broker=BrokerName.PAPER, order_id=resting.order_id))
    assert ended is not None and ended.status.value == "canceled"
    audit_writer()
    trail = [
        e
        for e in reversed(wiring.audit_records().events_for(ALICE))
        if e.details.get("order_id") == resting.order_id
    ]
    assert [(e.action, e.actor, e.details["status"]) for e in trail] == [
        ("orders.place", ALICE, "queued"),
        ("orders.cancel", ALICE, "accepted"),
        ("orders.canceled", "executor", "canceled"),
    ]
