"""TOTP enrolment over HTTP on the local stack: the signed-in routes verify the token (they are not
public), and the next sign-in asks for the authenticator's code."""

from __future__ import annotations

import base64
import uuid
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from nija.local.totp import code as totp

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
PASSWORD = "Totp-Passw0rd-42!"


def not_to_be_cached(response: httpx.Response) -> None:
    """A response carrying tokens must not sit in any cache, nor be read as anything but JSON."""
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_totp_rfc6238_vector() -> None:
    secret = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238, appendix B (SHA-1)
    assert totp(secret, at=59) == "287082" and totp(secret, at=1111111109) == "081804"


def test_a_user_enrols_totp_and_signs_in_with_it(stack) -> None:  # type: ignore[no-untyped-def]
    api, email = stack.api, f"totp-{uuid.uuid4().hex[:8]}@example.com"
    assert httpx.post(f"{api}/v1/auth/signup", json={"email": email, "password": PASSWORD}).status_code == 201
    signed_in = httpx.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD})
    not_to_be_cached(signed_in)
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    assert httpx.post(f"{api}/v1/auth/mfa/setup").status_code == 401  # a signed-in route
    setup = httpx.post(f"{api}/v1/auth/mfa/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret_code"]
    assert parse_qs(urlparse(setup.json()["otpauth_uri"]).query)["secret"] == [secret]
    enabled = httpx.post(f"{api}/v1/auth/mfa/enable", json={"code": totp(secret)}, headers=headers)
    assert enabled.status_code == 200, enabled.text
    assert enabled.json()["mfa_enabled"] is True

    challenge = httpx.post(f"{api}/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
    assert challenge["challenge"] == "SOFTWARE_TOKEN_MFA" and "access_token" not in challenge
    verified = httpx.post(
        f"{api}/v1/auth/mfa/verify",
        json={"email": email, "session": challenge["session"], "code": totp(secret)},
    )
    assert verified.status_code == 200, verified.text
    not_to_be_cached(verified)
    me = httpx.get(f"{api}/v1/me", headers={"Authorization": f"Bearer {verified.json()['access_token']}"})
    assert me.status_code == 200 and me.json()["email"] == email
