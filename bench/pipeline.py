"""Local pipeline: POST /v1/orders to FILLED on the paper broker through the local stack (API on
uvicorn, real FIFO queues on the moto server, the executor handler), 200 orders over 20 users.
Target: p95 ≤ 1 s (the original architecture: 95% within 5 s).

Each user places an order, waits until its fill reaches them, then places the next. FILLED is the
moment the executor recorded the fill (the trade's timestamp, this machine's clock like the
client's). Each client learns of it as the app does, from the WebSocket push; the time that takes is
reported apart. (Polling for it measured the API more than the pipeline: 20 clients polling every
250 ms kept the moto server, every AWS call's one process, busy with their reads.)"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import datetime

import httpx
from websockets.sync.client import connect

from bench.report import line, percentile
from nija.local import process
from nija.local.identity import ADMIN_EMAIL, ADMIN_PASSWORD, http_sign_in
from nija.local.process import LocalStack

USERS, ORDERS_EACH = 20, 10
PASSWORD = "Bench-Passw0rd-1!"


def start_stack(*options: str) -> LocalStack:
    """The local stack on free ports (with these options of its command line); NIJA_BENCH_STACK_LOG
    names a file for its output, when debugging."""
    return process.start_stack(*options, log=os.environ.get("NIJA_BENCH_STACK_LOG"))


def admin_login(client: httpx.Client, stack: LocalStack) -> dict[str, str]:
    """The local admin's headers: the password, then a code from the TOTP secret its banner prints."""
    token = http_sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD, stack.admin_totp_secret())
    return {"Authorization": f"Bearer {token}"}


def login(client: httpx.Client, email: str, password: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {http_sign_in(client, email, password)}"}


def new_trader(
    client: httpx.Client, admin: dict[str, str], prefix: str = "bench"
) -> tuple[str, dict[str, str]]:
    """A user signed up through the API, on the enterprise tier (1,000 requests a minute), with the
    paper broker connected: their email and signed-in headers."""
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"
    user_id = client.post("/v1/auth/signup", json={"email": email, "password": PASSWORD}).json()["user_id"]
    client.put(f"/admin/users/{user_id}/tier", json={"tier": "enterprise"}, headers=admin).raise_for_status()
    headers = login(client, email, PASSWORD)
    client.put(
        "/v1/brokers/paper/credentials", json={"api_key": "bench", "api_secret": "bench"}, headers=headers
    ).raise_for_status()
    return email, headers


def user_session(client: httpx.Client, admin: dict[str, str]) -> dict[str, str]:
    return new_trader(client, admin)[1]


def trade(
    api: str, headers: dict[str, str], latencies: list[float], seen: list[float], failures: list[str]
) -> None:
    try:
        _trade(api, headers, latencies, seen, failures)
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        failures.append(type(exc).__name__)


def _trade(
    api: str, headers: dict[str, str], latencies: list[float], seen: list[float], failures: list[str]
) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    url = api.replace("http://", "ws://", 1) + f"/ws?token={token}"
    with connect(url) as ws, httpx.Client(base_url=api, timeout=10) as client:
        for _ in range(ORDERS_EACH):
            body = {
                "broker": "paper",
                "symbol": "BTC/USD",
                "side": "buy",
                "type": "market",
                "quantity": "0.001",
            }
            start = time.time()
            placed = client.post("/v1/orders", json=body, headers=headers)
            if placed.status_code != 202:
                failures.append(f"POST {placed.status_code}")
                continue
            order_id = placed.json()["order_id"]
            while True:
                event = json.loads(ws.recv(timeout=30))
                if event["type"] == "fill" and event["order_id"] == order_id:
                    latencies.append(datetime.fromisoformat(event["timestamp"]).timestamp() - start)
                    seen.append(time.time() - start)
                    break
                if (
                    event["type"] in ("order", "risk_refusal")
                    and event["order_id"] == order_id
                    and event["status"] in ("rejected", "canceled", "expired")
                ):
                    failures.append(str(event["status"]))
                    break


def main() -> None:
    stack = start_stack()
    api = stack.api
    try:
        with httpx.Client(base_url=api, timeout=10) as client:
            admin = admin_login(client, stack)
            sessions = [user_session(client, admin) for _ in range(USERS)]
        latencies: list[float] = []
        seen: list[float] = []
        failures: list[str] = []
        threads = [threading.Thread(target=trade, args=(api, h, latencies, seen, failures)) for h in sessions]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
    finally:
        stack.stop()
    ms = [s * 1000 for s in latencies]
    print(
        f"Local pipeline: POST /v1/orders to FILLED, {USERS} users x {ORDERS_EACH} orders, concurrently (ms)"
    )
    print(
        line(
            "orders filled",
            len(ms),
            "",
            f"{USERS * ORDERS_EACH}",
            len(ms) == USERS * ORDERS_EACH and not failures,
        )
    )
    print(line("p50", percentile(ms, 50), "ms", "reported", None))
    p95 = percentile(ms, 95)
    print(line("p95", p95, "ms", "<= 1000 ms (architecture: 95% within 5 s)", p95 <= 1000))
    print(
        line(
            "p95 as the client is told (WebSocket push)",
            percentile([x * 1000 for x in seen], 95),
            "ms",
            "reported",
            None,
        )
    )
    print(line("throughput", len(ms) / elapsed, "/s", "reported", None))
    if failures:
        print(f"  failures: {failures[:10]}")


if __name__ == "__main__":
    main()
