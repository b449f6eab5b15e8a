"""The per-address limiter of the local stack (nija.api.ip_limiter, what AWS WAF's rate-based rules
do in the cloud) on its API path, then what it costs.

1. Over real HTTP to a local stack (`python -m nija.local`, the stage's own numbers): SOURCES
   concurrent clients, each bound to its own loopback address (127.0.0.10 ...), each sending DEMAND
   times the sign-in limit of POST /v1/auth/login as fast as it can. The bodies carry no password, so
   an admitted request is a cheap 422 and the flood fits in one evaluation window (a real sign-in
   costs a Cognito call; the limiter counts a request the same either way). Admitted (anything but
   429) versus sent, per address and in all, against the limit. Target: within 2 % of the limit.
2. The limiter's cost per request (IpLimiter.check, both rules, SOURCES addresses, admitted and
   refused alike), and its middleware's in the ASGI path (IpLimitMiddleware in front of an app that
   answers at once, less that app alone), in microseconds.
"""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections import Counter

import httpx

from bench.pipeline import start_stack
from bench.report import line
from nija import ip_limits
from nija.api.ip_limiter import IpLimiter, IpLimitMiddleware
from nija.catalogue import catalogue

SOURCES = 50
DEMAND = 1.5  # each address sends 1.5 times what it may
STAGE = "local"  # the local stack's stage: its catalogue numbers are the ones the stack enforces
COST_REQUESTS = 200_000


def _flood(
    api: str, source: str, count: int, statuses: dict[str, Counter[int]], start: threading.Event
) -> None:
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=api, transport=transport, timeout=30) as client:
        start.wait()
        seen = Counter[int]()
        for _ in range(count):
            seen[client.post("/v1/auth/login", json={"email": "flood@example.com"}).status_code] += 1
        statuses[source] = seen


def over_http() -> None:
    limit = catalogue(STAGE).sign_in_ip_limit
    sent_each = int(limit.limit * DEMAND)
    stack = start_stack()
    api = stack.api
    try:
        statuses: dict[str, Counter[int]] = {}
        start = threading.Event()
        sources = [f"127.0.0.{10 + n}" for n in range(SOURCES)]
        threads = [
            threading.Thread(target=_flood, args=(api, s, sent_each, statuses, start)) for s in sources
        ]
        for t in threads:
            t.start()
        began = time.perf_counter()
        start.set()
        for t in threads:
            t.join()
        took = time.perf_counter() - began
    finally:
        stack.stop()
    if len(statuses) != SOURCES:
        raise RuntimeError(f"only {len(statuses)} of {SOURCES} addresses finished their flood")
    admitted = {s: sum(n for code, n in c.items() if code != 429) for s, c in statuses.items()}
    other = sorted({code for c in statuses.values() for code in c} - {422, 429})
    sent = SOURCES * sent_each
    expected = SOURCES * limit.limit
    off = abs(sum(admitted.values()) - expected) / expected * 100
    worst = max(abs(a - limit.limit) for a in admitted.values()) / limit.limit * 100
    print(
        f"Per-address limits over HTTP: {SOURCES} addresses at once, {sent_each} sign-in requests each "
        f"({sent} sent in {took:.1f} s, {sent / took:.0f} a second), limit {limit.limit} in {limit.window_s} s"
        + (f"; answers other than 422/429: {other}" if other else "")
    )
    print(
        line("admitted, all addresses", sum(admitted.values()), "req", f"{expected} (of {sent} sent)", None)
    )
    print(line("admitted vs the limit, all addresses", off, "%", "within 2 % of the limit", off <= 2))
    print(line("admitted vs the limit, worst address", worst, "%", "within 2 % of the limit", worst <= 2))
    print(
        line(
            "admitted per address (min / max)",
            min(admitted.values()),
            "req",
            f"{limit.limit} (max {max(admitted.values())})",
            None,
        )
    )


def limiter_cost() -> tuple[float, float]:
    """µs per IpLimiter.check, for fresh windows and then mostly refusals."""
    rules = ip_limits.rules(catalogue(STAGE))
    limiter = IpLimiter(rules)
    sources = [f"10.0.{n // 256}.{n % 256}" for n in range(SOURCES)]
    paths = ("/v1/auth/login", "/v1/orders")
    calls = [(sources[i % SOURCES], paths[i % 2]) for i in range(COST_REQUESTS)]
    check = limiter.check
    began = time.perf_counter()
    refused = sum(check(source, path) is not None for source, path in calls)
    per_call = (time.perf_counter() - began) / COST_REQUESTS * 1e6
    return per_call, refused / COST_REQUESTS


async def _asgi_cost(app: object, n: int) -> float:
    scope = {"type": "http", "method": "POST", "path": "/v1/auth/login", "headers": [], "client": None}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_: object) -> None:
        return None

    samples = []
    for round_ in range(5):
        began = time.perf_counter()
        for i in range(n):
            await app({**scope, "client": (f"10.1.{round_}.{i % SOURCES}", 1234)}, receive, send)  # type: ignore[operator]
        samples.append((time.perf_counter() - began) / n * 1e6)
    return statistics.median(samples)


async def _bare(scope: object, receive: object, send: object) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]


def middleware_cost() -> float:
    """µs the middleware adds to a request in the ASGI path (under the limit: what an admitted one pays)."""
    rules = ip_limits.rules(catalogue(STAGE))
    n = rules[0].limit.limit * SOURCES  # every request admitted
    wrapped = IpLimitMiddleware(_bare, IpLimiter(rules))
    bare = asyncio.run(_asgi_cost(_bare, n))
    with_limits = asyncio.run(_asgi_cost(wrapped, n // 5))
    return with_limits - bare


def main() -> None:
    over_http()
    per_check, refused = limiter_cost()
    print(
        line(
            f"IpLimiter.check, {SOURCES} addresses ({refused:.0%} refused)",
            per_check,
            "µs",
            "reported",
            None,
        )
    )
    print(line("IpLimitMiddleware in the ASGI path, admitted", middleware_cost(), "µs", "reported", None))


if __name__ == "__main__":
    main()
