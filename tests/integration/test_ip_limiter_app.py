"""The local stack's per-address limits in its API app (nija.api.apps.create_local_app with the
limiter, as `python -m nija.local` builds it): where the limiter sits among the middlewares, and what
its refusal carries. The flood over real sockets is tests/e2e/test_ip_flood.py."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from nija import ip_limits
from nija.api.ip_limiter import IpLimiter, local_limiter
from nija.catalogue import catalogue
from nija.domain.ip_limits import IpLimit

pytestmark = pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
ORIGIN = "http://localhost:8081"


@pytest.fixture
def limiter(monkeypatch: pytest.MonkeyPatch, aws: None) -> IpLimiter:
    from nija.config import reset_settings

    monkeypatch.setenv("NIJA_CORS_ORIGINS", ORIGIN)
    reset_settings()
    return IpLimiter(ip_limits.rules(catalogue("test"), sign_in=IpLimit(10, 60), everything=IpLimit(20, 60)))


def client(limiter: IpLimiter, address: str) -> TestClient:
    from nija.api.apps import create_local_app

    return TestClient(create_local_app(limiter), client=(address, 40_000), raise_server_exceptions=False)


def test_a_refusal_comes_before_the_token_check_in_the_apis_shape(limiter: IpLimiter) -> None:
    flooder = client(limiter, "10.0.0.2")
    for _ in range(10):
        assert flooder.post("/v1/auth/login", json={}).status_code == 422  # counted, however answered
    refused = flooder.post("/v1/auth/login", json={}, headers={"Origin": ORIGIN})
    assert refused.status_code == 429
    assert refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": "more than 10 sign-in requests from this address in 60 s",
        }
    }
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["cache-control"] == "no-store"
    assert refused.headers["x-content-type-options"] == "nosniff"
    # Inside CORS: the app in a browser can read the 429 and its wait.
    assert refused.headers["access-control-allow-origin"] == ORIGIN
    assert "retry-after" in refused.headers["access-control-expose-headers"].lower()
    # Another address signs in; the flooder still reaches the rest, up to the broad limit of 20.
    assert client(limiter, "10.0.0.3").post("/v1/auth/login", json={}).status_code == 422
    statuses = [flooder.get("/v1/orders").status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]  # no token: the token check answers, behind the limiter


def test_the_local_stack_takes_the_stages_numbers_or_the_configured_ones(
    monkeypatch: pytest.MonkeyPatch, aws: None
) -> None:
    from nija.config import reset_settings

    cat = catalogue("test")
    assert [r.limit for r in local_limiter().rules] == [cat.sign_in_ip_limit, cat.ip_limit]
    monkeypatch.setenv("NIJA_SIGN_IN_IP_LIMIT", "10/60")
    monkeypatch.setenv("NIJA_IP_LIMIT", "1000/120")
    reset_settings()
    assert [r.limit for r in local_limiter().rules] == [IpLimit(10, 60), IpLimit(1000, 120)]


def test_without_a_limiter_the_app_limits_no_address(aws: None) -> None:
    """The tests that sign in from one address all along build the app without one."""
    from nija.api.apps import create_local_app

    app = TestClient(create_local_app(), raise_server_exceptions=False)
    statuses = {app.post("/v1/auth/login", json={}).status_code for _ in range(250)}
    assert statuses == {422}
