"""Local real-time push: a fill recorded by the executor to the WebSocket message received by the
user's client, through the local stack (the state table's stream on the moto server, the stream
poller, the stream processor handler, the /ws socket). 200 fills over 10 users, each with a client
connected, placing market orders one after another. Target: p95 ≤ 500 ms.

Recorded is the trade's timestamp (the fill as the executor records it, this machine's clock like
the client's); received is when the client's socket hands over the fill event."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime

import httpx
from websockets.sync.client import connect

from bench.pipeline import admin_login, start_stack, user_session
from bench.report import line, percentile

USERS, FILLS_EACH = 10, 20
TARGET_P95_MS = 500.0


def trade(api: str, headers: dict[str, str], latencies: list[float], failures: list[str]) -> None:
    token = headers["Authorization"].removeprefix("Bearer ")
    url = api.replace("http://", "ws://", 1) + f"/ws?token={token}"
    try:
        with connect(url) as ws, httpx.Client(base_url=api, timeout=10) as client:
            for _ in range(FILLS_EACH):
                body = {
                    "broker": "paper",
                    "symbol": "BTC/USD",
                    "side": "buy",
                    "type": "market",
                    "quantity": "0.001",
                }
                placed = client.post("/v1/orders", json=body, headers=headers)
                if placed.status_code != 202:
                    failures.append(f"POST {placed.status_code}")
                    continue
                order_id = placed.json()["order_id"]
                while True:
                    event = json.loads(ws.recv(timeout=30))
                    received = time.time()
                    if event["type"] == "fill" and event["order_id"] == order_id:
                        recorded = datetime.fromisoformat(event["timestamp"]).timestamp()
                        latencies.append(received - recorded)
                        break
                    if (
                        event["type"] in ("order", "risk_refusal")
                        and event["order_id"] == order_id
                        and event["status"] in ("rejected", "canceled", "expired")
                    ):
                        failures.append(str(event["status"]))
                        break
    except (httpx.HTTPError, TimeoutError, OSError) as exc:
        failures.append(type(exc).__name__)


def main() -> None:
    stack = start_stack()
    api = stack.api
    try:
        with httpx.Client(base_url=api, timeout=10) as client:
            admin = admin_login(client, stack)
            sessions = [user_session(client, admin) for _ in range(USERS)]
        latencies: list[float] = []
        failures: list[str] = []
        threads = [threading.Thread(target=trade, args=(api, h, latencies, failures)) for h in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        stack.stop()
    ms = [s * 1000 for s in latencies]
    total = USERS * FILLS_EACH
    print(
        f"Local real-time push: fill recorded to WebSocket message received, {USERS} users x {FILLS_EACH} fills (ms)"
    )
    print(line("fills received", len(ms), "", f"{total}", len(ms) == total and not failures))
    print(line("p50", percentile(ms, 50), "ms", "reported", None))
    p95 = percentile(ms, 95)
    print(line("p95", p95, "ms", f"<= {TARGET_P95_MS:.0f} ms", p95 <= TARGET_P95_MS))
    print(line("max", max(ms, default=float("nan")), "ms", "reported", None))
    if failures:
        print(f"  failures: {sorted(set(failures))} ({len(failures)})")


if __name__ == "__main__":
    main()
