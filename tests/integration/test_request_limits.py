"""The per-user request limiter of every API app (a sliding-window log per user in the state table,
on moto) and its ASGI middleware. Two limiter objects are two function instances: each has its own
memory, both the one table."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nija.adapters.dynamo.request_limits import DynamoRequestLimiter
from nija.api.ratelimit import RateLimitMiddleware
from nija.config import get_settings
from nija.domain.models import TIER_REQUESTS_PER_MINUTE, Tier


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def a_limiter(clock: Clock, **options: int) -> DynamoRequestLimiter:
    return DynamoRequestLimiter(get_settings().catalogue.request_limits, clock=clock, **options)


@pytest.fixture
def limiter(aws: None, clock: Clock) -> DynamoRequestLimiter:
    return a_limiter(clock)


@pytest.mark.parametrize("tier", list(Tier))
def test_admits_the_tier_limit_then_refuses(limiter: DynamoRequestLimiter, tier: Tier) -> None:
    limit = TIER_REQUESTS_PER_MINUTE[tier]
    decisions = [limiter.acquire("u1", tier) for _ in range(limit)]
    assert all(d.allowed for d in decisions)
    assert [d.remaining for d in decisions[-2:]] == [1, 0]
    refused = limiter.acquire("u1", tier)
    assert not refused.allowed
    assert (refused.limit, refused.remaining, refused.retry_after) == (limit, 0, 60)


def test_window_rolls_one_request_at_a_time(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    for _ in range(60):  # one a second: 1000 .. 1059
        assert limiter.acquire("u1", Tier.BASIC).allowed
        clock.now += 1
    assert clock.now == 1060.0
    # The request at 1000 leaves the window at exactly 1060: one slot, not more.
    assert limiter.acquire("u1", Tier.BASIC).allowed
    assert not limiter.acquire("u1", Tier.BASIC).allowed
    clock.now += 0.5
    assert not limiter.acquire("u1", Tier.BASIC).allowed
    clock.now += 0.5
    assert limiter.acquire("u1", Tier.BASIC).allowed


def test_retry_after_is_whole_seconds_until_the_oldest_leaves(
    limiter: DynamoRequestLimiter, clock: Clock
) -> None:
    for _ in range(60):
        limiter.acquire("u1", Tier.BASIC)
    clock.now += 0.2
    assert limiter.acquire("u1", Tier.BASIC).retry_after == 60  # 59.8 s, rounded up
    clock.now += 58.0
    assert limiter.acquire("u1", Tier.BASIC).retry_after == 2  # 1.8 s
    clock.now += 1.75
    assert limiter.acquire("u1", Tier.BASIC).retry_after == 1  # 0.05 s, never 0


def test_refused_requests_do_not_extend_the_block(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    for _ in range(60):
        limiter.acquire("u1", Tier.BASIC)
    for _ in range(59):
        clock.now += 1
        assert not limiter.acquire("u1", Tier.BASIC).allowed
    clock.now += 1
    assert limiter.acquire("u1", Tier.BASIC).allowed


def test_users_are_limited_each_on_their_own(limiter: DynamoRequestLimiter) -> None:
    for _ in range(60):
        limiter.acquire("busy", Tier.BASIC)
    assert not limiter.acquire("busy", Tier.BASIC).allowed
    assert limiter.acquire("quiet", Tier.BASIC).allowed
    assert limiter.acquire("quiet", Tier.BASIC).remaining == 58


def test_a_tier_change_applies_at_once(limiter: DynamoRequestLimiter) -> None:
    for _ in range(60):
        limiter.acquire("u1", Tier.BASIC)
    assert not limiter.acquire("u1", Tier.BASIC).allowed
    upgraded = limiter.acquire("u1", Tier.PRO)
    assert upgraded.allowed and upgraded.remaining == 300 - 61
    assert not limiter.acquire("u1", Tier.BASIC).allowed  # and back down: 61 in the window


def test_idle_users_are_evicted(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    for n in range(100):
        limiter.acquire(f"u{n}", Tier.BASIC)
    assert len(limiter) == 100
    clock.now += 30
    limiter.acquire("u0", Tier.BASIC)  # u0 is active again
    clock.now += 30
    limiter.acquire("late", Tier.BASIC)
    assert len(limiter) == 2  # u0 and late; u1..u99 were idle for a whole window


def test_memory_is_bounded_by_max_users(aws: None, clock: Clock) -> None:
    limiter = a_limiter(clock, max_users=10)
    for n in range(50):
        limiter.acquire(f"u{n}", Tier.BASIC)
    assert len(limiter) == 10


def test_concurrent_callers_never_exceed_the_limit(limiter: DynamoRequestLimiter) -> None:
    admitted: list[int] = []
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        admitted.append(sum(limiter.acquire("shared", Tier.PRO).allowed for _ in range(200)))

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(admitted) == 300


# The middleware, on a tiny app whose stand-in authorizer sets the context API Gateway would.


class FakeAuthorizer:
    """Sets scope["aws.event"] from X-Test-User / X-Test-Tier, as the auth middleware does."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers", []))
        if user := headers.get(b"x-test-user"):
            tier = headers.get(b"x-test-tier", b"basic").decode()
            context = {"user_id": user.decode(), "tier": tier, "role": "user"}
            scope["aws.event"] = {"requestContext": {"authorizer": context}}
        await self.app(scope, receive, send)


Get = Callable[..., httpx.Response]


@pytest.fixture
def get(limiter: DynamoRequestLimiter) -> Get:
    app = FastAPI()

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/me")
    def me(request: Request) -> dict[str, str]:
        return {"user_id": request.scope["aws.event"]["requestContext"]["authorizer"]["user_id"]}

    app.add_middleware(RateLimitMiddleware, limiter=lambda: limiter)
    app.add_middleware(FakeAuthorizer)  # added last, runs first

    def request(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        async def call() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                return await c.get(path, headers=headers)

        return asyncio.run(call())

    return request


def test_middleware_sets_limit_headers(get: Get) -> None:
    r = get("/v1/me", headers={"X-Test-User": "u1", "X-Test-Tier": "pro"})
    assert r.status_code == 200 and r.json() == {"user_id": "u1"}
    assert r.headers["X-RateLimit-Limit"] == "300"
    assert r.headers["X-RateLimit-Remaining"] == "299"
    assert "Retry-After" not in r.headers


def test_middleware_refuses_with_429_and_the_error_shape(get: Get, clock: Clock) -> None:
    me = {"X-Test-User": "u1", "X-Test-Tier": "basic"}
    for _ in range(60):
        assert get("/v1/me", headers=me).status_code == 200
    clock.now += 10.5
    r = get("/v1/me", headers=me)
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "50"
    assert r.headers["X-RateLimit-Limit"] == "60"
    assert r.headers["X-RateLimit-Remaining"] == "0"
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == "rate_limited"
    other = get("/v1/me", headers={"X-Test-User": "u2", "X-Test-Tier": "basic"})
    assert other.status_code == 200


def test_middleware_passes_requests_without_a_context(get: Get) -> None:
    for _ in range(100):
        r = get("/health")
        assert r.status_code == 200
    assert "X-RateLimit-Limit" not in r.headers


def test_middleware_treats_an_unknown_tier_as_basic(get: Get) -> None:
    r = get("/v1/me", headers={"X-Test-User": "u1", "X-Test-Tier": "platinum"})
    assert r.headers["X-RateLimit-Limit"] == "60"


# Every instance of every API function shares each user's window through the table.


def test_instances_share_a_users_window(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    other = a_limiter(clock)  # another function instance: its own memory, the same table
    for n in range(60):
        assert (limiter if n % 2 else other).acquire("u1", Tier.BASIC).allowed
    assert not limiter.acquire("u1", Tier.BASIC).allowed
    assert not other.acquire("u1", Tier.BASIC).allowed
    assert not a_limiter(clock).acquire("u1", Tier.BASIC).allowed  # a cold one reads it


def test_an_instance_counts_what_others_admitted_since(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    other = a_limiter(clock)
    assert limiter.acquire("u1", Tier.BASIC).remaining == 59
    for _ in range(10):
        other.acquire("u1", Tier.BASIC)
    # limiter remembers one request, but admits only from what is stored: the eleven, then its own
    assert limiter.acquire("u1", Tier.BASIC).remaining == 48
    assert len(limiter.peek("u1").stamps) == 12  # type: ignore[union-attr]


def test_the_window_item_expires_when_its_newest_request_leaves(
    limiter: DynamoRequestLimiter, clock: Clock
) -> None:
    from nija.adapters.dynamo import keys
    from nija.adapters.dynamo.models import RequestWindowItem

    limiter.acquire("u1", Tier.PRO)
    clock.now += 12.5
    limiter.acquire("u1", Tier.PRO)
    item = RequestWindowItem.get(keys.request_window_pk("u1"), keys.REQUEST_WINDOW, consistent_read=True)
    assert keys.parse(item.pk, item.sk).kind.value == "request_window"  # type: ignore[union-attr]
    assert item.expires_at == 1073 + 60  # the newest request leaves at 1072.5; then a minute of slack
    assert len(item.stamps) == 8 + 2  # the first time, then one 2-byte gap


def test_a_refusal_it_remembers_costs_no_read(limiter: DynamoRequestLimiter, clock: Clock) -> None:
    from nija.adapters.dynamo import keys
    from nija.adapters.dynamo.models import RequestWindowItem

    for _ in range(60):
        limiter.acquire("u1", Tier.BASIC)
    assert not limiter.acquire("u1", Tier.BASIC).allowed
    RequestWindowItem(keys.request_window_pk("u1"), keys.REQUEST_WINDOW).delete()
    assert not limiter.acquire("u1", Tier.BASIC).allowed  # from memory: the table was not read
    assert a_limiter(clock).acquire("u1", Tier.BASIC).allowed  # another instance reads the table
