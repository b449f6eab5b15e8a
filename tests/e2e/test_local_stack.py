"""A new user's first minutes: log in as the demo user, place orders over HTTP, watch them fill."""

from __future__ import annotations

import json
import signal
import time
import uuid
from decimal import Decimal
from typing import Any

import httpx
import pytest

from nija.catalogue import catalogue
from nija.local.identity import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]


def login(api: str) -> dict[str, str]:
    r = httpx.post(f"{api}/v1/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    # the deployed pool client's access token lifetime (the catalogue's), not moto's hour
    assert body["expires_in"] == catalogue("local").access_token_minutes * 60 == 900
    return {"Authorization": f"Bearer {body['access_token']}"}


def wait_for(
    api: str, headers: dict[str, str], order_id: str, statuses: set[str], timeout_s: float = 20
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        order = httpx.get(f"{api}/v1/orders/{order_id}", headers=headers, timeout=5).json()
        if order["status"] in statuses or time.monotonic() > deadline:
            return order
        time.sleep(0.2)


def test_demo_user_orders_and_sees_the_filled_position(stack) -> None:  # type: ignore[no-untyped-def]
    headers = login(stack.api)
    before = {
        p["symbol"]: Decimal(p["quantity"])
        for p in httpx.get(f"{stack.api}/v1/positions", headers=headers).json()["items"]
    }
    body = {"broker": "paper", "symbol": "ETH/USD", "side": "buy", "type": "market", "quantity": "0.25"}
    r = httpx.post(
        f"{stack.api}/v1/orders", json=body, headers={**headers, "Idempotency-Key": uuid.uuid4().hex}
    )
    assert r.status_code == 202, r.text
    placed = r.json()
    assert placed["status"] == "queued" and placed["order_id"] and placed["client_order_id"]

    order = wait_for(stack.api, headers, placed["order_id"], {"filled", "rejected"})
    assert order["status"] == "filled", order
    assert Decimal(order["filled_quantity"]) == Decimal("0.25")

    positions = {
        p["symbol"]: p for p in httpx.get(f"{stack.api}/v1/positions", headers=headers).json()["items"]
    }
    eth = positions["ETH/USD"]
    assert Decimal(eth["quantity"]) == before.get("ETH/USD", Decimal(0)) + Decimal("0.25")
    assert Decimal(eth["average_price"]) > 0 and eth["unrealized_pnl"] is not None


def test_a_retried_request_makes_one_order(stack) -> None:  # type: ignore[no-untyped-def]
    headers = {**login(stack.api), "Idempotency-Key": uuid.uuid4().hex}
    body = {"broker": "paper", "symbol": "SOL/USD", "side": "buy", "type": "market", "quantity": "1"}
    ids = {
        httpx.post(f"{stack.api}/v1/orders", json=body, headers=headers).json()["order_id"] for _ in range(3)
    }
    assert len(ids) == 1
    order = wait_for(stack.api, headers, ids.pop(), {"filled", "rejected"})
    assert order["status"] == "filled"
    trades = httpx.get(f"{stack.api}/v1/trades", headers=headers, params={"limit": 100}).json()["items"]
    assert sum(1 for t in trades if t["order_id"] == order["order_id"]) == 1


def test_a_resting_limit_order_can_be_canceled(stack) -> None:  # type: ignore[no-untyped-def]
    headers = login(stack.api)
    body = {
        "broker": "paper",
        "symbol": "BTC/USD",
        "side": "buy",
        "type": "limit",
        "quantity": "0.001",
        "limit_price": "1.00",
    }
    placed = httpx.post(f"{stack.api}/v1/orders", json=body, headers=headers).json()
    assert wait_for(stack.api, headers, placed["order_id"], {"accepted"})["status"] == "accepted"
    r = httpx.delete(f"{stack.api}/v1/orders/{placed['order_id']}", headers=headers)
    assert r.status_code == 202 and r.json()["cancel_requested"] is True
    assert wait_for(stack.api, headers, placed["order_id"], {"canceled"})["status"] == "canceled"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer not-a-jwt"}, 401), ({"Authorization": "Basic abc"}, 401)],
)
def test_requests_without_a_valid_token_are_refused(stack, headers: dict[str, str], status: int) -> None:  # type: ignore[no-untyped-def]
    r = httpx.get(f"{stack.api}/v1/orders", headers=headers)
    assert r.status_code == status
    assert r.json()["error"]["code"] == "unauthenticated"


def test_bad_input_gets_the_documented_errors(stack) -> None:  # type: ignore[no-untyped-def]
    headers = {**login(stack.api), "content-type": "application/json"}
    r = httpx.post(f"{stack.api}/v1/orders", content=b"{not json", headers=headers)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "malformed_json")
    base = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}
    for change, field in [
        ({"broker": "nasdaq"}, "broker"),
        ({"symbol": "XXX/USD"}, "symbol"),
        ({"quantity": "-1"}, "quantity"),
    ]:
        r = httpx.post(f"{stack.api}/v1/orders", json=base | change, headers=headers)
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == field
    r = httpx.post(f"{stack.api}/v1/auth/login", json={"email": DEMO_EMAIL, "password": "Wrong-passw0rd!"})
    assert r.status_code == 401


def test_a_new_user_signs_up_and_is_held_to_the_basic_tier(stack) -> None:  # type: ignore[no-untyped-def]
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    r = httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": "New-Passw0rd-42!"})
    assert r.status_code == 201, r.text
    tokens = httpx.post(
        f"{stack.api}/v1/auth/login", json={"email": email, "password": "New-Passw0rd-42!"}
    ).json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = httpx.get(f"{stack.api}/v1/me", headers=headers)
    assert me.json()["tier"] == "basic" and me.headers["x-ratelimit-limit"] == "60"
    statuses = [httpx.get(f"{stack.api}/v1/me", headers=headers).status_code for _ in range(60)]
    assert statuses.count(200) == 59 and statuses[-1] == 429
    refused = httpx.get(f"{stack.api}/v1/me", headers=headers)
    assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["code"] == "rate_limited"


def test_a_user_connects_paper_keys_trades_and_disconnects(stack) -> None:  # type: ignore[no-untyped-def]
    email = f"vault-{uuid.uuid4().hex[:8]}@example.com"
    httpx.post(f"{stack.api}/v1/auth/signup", json={"email": email, "password": "Vault-Passw0rd-42!"})
    token = httpx.post(
        f"{stack.api}/v1/auth/login", json={"email": email, "password": "Vault-Passw0rd-42!"}
    ).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    order = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"}
    refused = httpx.post(f"{stack.api}/v1/orders", json=order, headers=headers)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "broker_not_connected"

    keys = {"api_key": "my-paper-key-7777", "api_secret": "my-paper-secret"}
    put = httpx.put(f"{stack.api}/v1/brokers/paper/credentials", json=keys, headers=headers)
    assert put.status_code == 200, put.text
    listed = httpx.get(f"{stack.api}/v1/brokers", headers=headers).json()["items"]
    assert [(b["broker"], b["masked_key"]) for b in listed] == [("paper", "****7777")]
    assert "my-paper-secret" not in put.text + json.dumps(listed)

    assert httpx.post(f"{stack.api}/v1/orders", json=order, headers=headers).status_code == 202
    assert httpx.delete(f"{stack.api}/v1/brokers/paper/credentials", headers=headers).status_code == 204
    assert httpx.get(f"{stack.api}/v1/brokers", headers=headers).json()["items"] == []
    again = httpx.post(f"{stack.api}/v1/orders", json=order, headers=headers)
    assert again.status_code == 409


def json_lines(output: list[str]) -> list[dict[str, Any]]:
    """The stack's Powertools lines (not its EMF blobs), each JSON object of each output line: the
    blobs are printed in two writes, so a line of another thread may follow one on its line."""
    found, decoder = [], json.JSONDecoder()
    for line in list(output):
        text, at = line.strip(), 0
        while text.startswith("{", at):
            try:
                obj, at = decoder.raw_decode(text, at)
            except json.JSONDecodeError:
                break
            if "_aws" not in obj:
                found.append(obj)
    return found


def test_each_log_line_names_its_own_function_user_and_correlation_id(stack) -> None:  # type: ignore[no-untyped-def]
    """The executor's and the realtime handler's lines (the latter from the API's worker threads), all
    in one process: each names its own function, user and correlation id."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    headers = login(stack.api)
    user_id = httpx.get(f"{stack.api}/v1/me", headers=headers).json()["user_id"]
    socket = stack.api.replace("http://", "ws://", 1) + "/ws"
    with connect(f"{socket}?token={headers['Authorization'].removeprefix('Bearer ')}"):
        order = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"}
        r = httpx.post(f"{stack.api}/v1/orders", json=order, headers=headers)
        assert r.status_code == 202, r.text
        order_id = r.json()["order_id"]
        assert wait_for(stack.api, headers, order_id, {"filled"})["status"] == "filled"
    with pytest.raises(InvalidStatus), connect(socket):
        pass
    deadline = time.monotonic() + 20
    while True:
        lines = json_lines(stack.output)
        messages = {(str(x.get("message")), x.get("correlation_id")) for x in lines}
        if ("order processed", order_id) in messages and "refused a connection" in {m for m, _ in messages}:
            break
        assert time.monotonic() < deadline, [
            x for x in lines if x.get("message") in ("order processed", "refused a connection")
        ]
        time.sleep(0.2)

    realtime, executor = "nija-local-realtime", "nija-local-executor-paper"
    for line in lines:  # no line carries another function's keys
        if "function_arn" in line:
            assert line["function_arn"].endswith(f":{line['function_name']}"), line
        if "connection_id" in line or "route" in line:
            assert line.get("function_name") == realtime, line
    (processed,) = [x for x in lines if x["message"] == "order processed" and x["correlation_id"] == order_id]
    assert (processed["function_name"], processed["user_id"]) == (executor, user_id)
    connected = [x for x in lines if x["message"] == "connected" and x["user_id"] == user_id]
    assert connected and all(x["function_name"] == realtime for x in connected)
    refused = [x for x in lines if x["message"] == "refused a connection"]
    assert refused and all((x["function_name"], x["user_id"]) == (realtime, "anonymous") for x in refused)


def test_ctrl_c_stops_everything(stack) -> None:  # type: ignore[no-untyped-def]
    """Runs last in this module: SIGINT stops the API and the moto server it started."""
    stack.proc.send_signal(signal.SIGINT)
    stack.proc.wait(timeout=20)
    for url in (f"{stack.api}/health", f"{stack.aws}/moto-api/"):
        with pytest.raises(httpx.TransportError):
            httpx.get(url, timeout=1)
    assert stack.proc.returncode in (0, -signal.SIGINT, 130)
