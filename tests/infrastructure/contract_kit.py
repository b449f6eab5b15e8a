"""What every contract flow is made of (contract_flows.py, contract_socket_flows.py): a flow, a
handler called as Lambda calls it, and the users and settings the flows put on moto first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from aws_calls import Recording, recording

from nija import wiring
from nija.config import reset_settings
from nija.domain.models import User
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function

ALICE = "a11ce000-0000-4000-8000-00000000c0a1"
BOB = "b0b00000-0000-4000-8000-00000000c0b2"
ADMIN = "ad000000-0000-4000-8000-00000000c0ad"
DEV = "nija-dev"


@dataclass(frozen=True)
class Flow:
    key: str  # folder under functions/
    deployment: str  # its FunctionName in the dev template
    prepare: Callable[[pytest.FixtureRequest], Any]  # moto's data; returns what the run needs
    invoke: Callable[[Any], Any]  # the handler call(s), recorded

    @property
    def name(self) -> str:
        return self.deployment.removeprefix(f"{DEV}-")

    def run(self, request: pytest.FixtureRequest) -> Recording:
        request.getfixturevalue("aws")
        given = self.prepare(request)
        reset_settings()  # a cold start: nothing the preparation built is reused
        with recording(self.deployment) as rec:
            self.invoke(given)
        reset_settings()
        return rec


def handler(key: str, event: dict[str, Any], instance: str = "contract") -> Any:
    module = load_function(key, f"{instance}-{key}")
    return module.handler(event, LambdaContext(f"contract-{key}"))


def members(*users: str) -> None:
    for u in users:
        wiring.users().put_user(User(user_id=u, email=f"{u[:8]}@example.com"))


def paper_user(user: str) -> None:
    members(user)
    wiring.paper_broker().seed_balances(user, {"USD": Decimal("100000")})
    identity.connect_paper(user)


def env(request: pytest.FixtureRequest, **values: str) -> None:
    patch = request.getfixturevalue("monkeypatch")
    for name, value in values.items():
        patch.setenv(f"NIJA_{name.upper()}", value)
    reset_settings()


def api(key: str, case: str, **values: str) -> dict[str, Any]:
    reply = handler(key, load_event(f"{key}/{case}", **values))
    assert reply["statusCode"] < 300, reply
    return dict(reply)


def queue_paper_order(user: str) -> None:
    """A market buy on the paper broker, placed as the trading API places it: on its order queue."""
    from nija.domain.models import Principal
    from nija.logic import orders
    from nija.logic.orders import OrderRequest

    body = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    orders.place_order(
        Principal(user_id=user),
        OrderRequest.model_validate(body),
        "k1",
        wiring.orders(),
        wiring.order_queue(),
        wiring.telemetry(),
    )
