"""Per-address limits on the real local stack: one client flooding the sign-in routes is refused with
429 and Retry-After, while a client from another address (another source address on the loopback
range, as WAF sees another source IP) still signs in."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from nija.local.identity import DEMO_EMAIL, DEMO_PASSWORD
from nija.local.process import LocalStack as Stack
from nija.local.process import running_stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

# Low, so that the flood is short: the local stack takes the configured number (WAF's least is 10).
SIGN_IN_LIMIT, WINDOW_S = 10, 60
FLOODER, OTHER = "127.0.0.2", "127.0.0.3"
CREDENTIALS = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}


def _can_bind(address: str) -> bool:
    """Linux routes all of 127.0.0.0/8 to loopback; macOS only 127.0.0.1 unless aliased."""
    try:
        with socket.socket() as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def limited() -> Iterator[Stack]:
    if not all(_can_bind(a) for a in (FLOODER, OTHER)):
        pytest.skip(f"this machine cannot send from {FLOODER} and {OTHER}")
    with running_stack("--sign-in-ip-limit", f"{SIGN_IN_LIMIT}/{WINDOW_S}") as running:
        yield running


def client(stack: Stack, source: str) -> httpx.Client:
    return httpx.Client(base_url=stack.api, transport=httpx.HTTPTransport(local_address=source), timeout=10)


def test_a_flooding_address_gets_429_while_another_still_signs_in(limited: Stack) -> None:
    assert f"sign-in {SIGN_IN_LIMIT}/{WINDOW_S} s" in "".join(limited.output)  # the banner says so
    with client(limited, FLOODER) as flooder:
        answers = [flooder.post("/v1/auth/login", json=CREDENTIALS) for _ in range(SIGN_IN_LIMIT + 5)]
        assert [a.status_code for a in answers] == [200] * SIGN_IN_LIMIT + [429] * 5
        refused = answers[-1]
        assert 1 <= int(refused.headers["retry-after"]) <= WINDOW_S
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert (
            error["message"]
            == f"more than {SIGN_IN_LIMIT} sign-in requests from this address in {WINDOW_S} s"
        )
        assert refused.headers["x-content-type-options"] == "nosniff"  # the API's headers, as every answer
        # Every sign-in route shares the address's count, and a header cannot name another address.
        assert flooder.post("/v1/auth/refresh", json={"refresh_token": "x"}).status_code == 429
        spoofed = flooder.post("/v1/auth/login", json=CREDENTIALS, headers={"X-Forwarded-For": OTHER})
        assert spoofed.status_code == 429
        # The rest of the API is not a sign-in: the flooder's token still works there.
        token = answers[0].json()["access_token"]
        me = flooder.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["email"] == DEMO_EMAIL

    with client(limited, OTHER) as other:
        signed_in = other.post("/v1/auth/login", json=CREDENTIALS)
        assert signed_in.status_code == 200, signed_in.text
        assert signed_in.json()["access_token"] and signed_in.json()["token_type"] == "Bearer"
