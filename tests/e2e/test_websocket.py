"""Real-time updates on the local stack: a WebSocket client with the demo user's token gets its
order's fill pushed after POST /v1/orders; a bad token is refused at the handshake."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from nija.local.identity import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def access_token(api: str) -> str:
    r = httpx.post(f"{api}/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def ws_url(api: str) -> str:
    return api.replace("http://", "ws://", 1) + "/ws"


def events_until(ws: ClientConnection, done: Any, limit: int = 50) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        seen.append(json.loads(ws.recv(timeout=20)))
        if done(seen[-1]):
            return seen
    raise AssertionError(f"no matching event in {seen}")


def test_a_client_receives_its_fill_after_placing_an_order(stack) -> None:  # type: ignore[no-untyped-def]
    token = access_token(stack.api)
    with connect(f"{ws_url(stack.api)}?token={token}") as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
        body = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
        r = httpx.post(
            f"{stack.api}/v1/orders",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex},
        )
        assert r.status_code == 202, r.text
        order_id = r.json()["order_id"]
        seen = events_until(ws, lambda e: e["type"] == "fill" and e["order_id"] == order_id)
    fill = seen[-1]
    assert fill["symbol"] == "BTC/USD" and fill["side"] == "buy" and fill["quantity"] == "0.01"
    assert fill["price"] and fill["timestamp"] and fill["trade_id"]
    statuses = [e["status"] for e in seen if e["type"] == "order" and e["order_id"] == order_id]
    assert statuses and statuses[0] in ("queued", "submitted")


def test_the_header_token_works_too(stack) -> None:  # type: ignore[no-untyped-def]
    token = access_token(stack.api)
    with connect(ws_url(stack.api), additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}


@pytest.mark.parametrize("query", ["", "?token=not.a.jwt"])
def test_a_connection_without_a_valid_token_is_refused(stack, query: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidStatus) as refused, connect(f"{ws_url(stack.api)}{query}"):
        pass
    assert refused.value.response.status_code == 401


def test_deleting_the_account_tells_its_socket_then_closes_it(stack) -> None:  # type: ignore[no-untyped-def]
    email, password = f"leaving-{uuid.uuid4().hex[:8]}@example.com", "Leaving-Passw0rd-42!"
    assert httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": password}).is_success
    token = httpx.post(f"{stack.api}/v1/auth/login", json={"email": email, "password": password}).json()[
        "access_token"
    ]
    with connect(f"{ws_url(stack.api)}?token={token}") as ws:
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}
        r = httpx.request(
            "DELETE",
            f"{stack.api}/v1/me",
            json={"confirm": email},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
        assert r.status_code == 204, r.text
        events_until(ws, lambda e: e["type"] == "account_deleted")
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=20)  # the server closed it: nothing more comes, and it says so
