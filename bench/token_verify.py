"""Access-token verification, the authorizer's (and the local stack's) hot path: a real Cognito token
from a moto server, checked by nija.api.verify.TokenVerifier with the pool's JWKS cached.

Target: p99 ≤ 1 ms over 10,000 verify() calls (signature, expiry, issuer, token use, client id).
"""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Any

from bench.report import fake_aws, line, percentile

CALLS = 10_000
WARM_CALLS = 200
PASSWORD = "Bench-Passw0rd!"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _access_token(endpoint: str) -> tuple[str, str, str, str]:
    """A pool and app client configured as the CDK app makes them, a confirmed user and their access
    token: (token, issuer, client id, user id)."""
    from nija.adapters.aws import client
    from nija.config import get_settings, reset_settings
    from nija.local import identity

    os.environ["NIJA_AWS_ENDPOINT_URL"] = endpoint
    reset_settings()
    pool = identity.create_user_pool(get_settings().catalogue)
    idp = client("cognito-idp")
    email = "bench@nija.local"
    created = idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=PASSWORD, Permanent=True)
    result = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    user_id = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    issuer = f"https://cognito-idp.{get_settings().region}.amazonaws.com/{pool.pool_id}"
    return result["AccessToken"], issuer, pool.client_id, user_id


def _counting_fetches(verifier: Any) -> list[int]:
    """Count JWKS downloads (PyJWKClient.fetch_data): none may happen while timing."""
    fetches = [0]
    jwks = verifier._jwks
    fetch = jwks.fetch_data

    def counted() -> Any:
        fetches[0] += 1
        return fetch()

    jwks.fetch_data = counted
    return fetches


def main() -> None:
    from moto.server import ThreadedMotoServer

    from nija.api.verify import TokenVerifier
    from nija.config import reset_settings

    fake_aws()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        token, issuer, client_id, user_id = _access_token(endpoint)
        verifier = TokenVerifier(
            issuer=issuer,
            client_id=client_id,
            jwks_url=f"{endpoint}/{issuer.rsplit('/', 1)[1]}/.well-known/jwks.json",
        )
        fetches = _counting_fetches(verifier)
        t = time.perf_counter()
        claims = verifier.verify(token)  # fetches and caches the JWKS
        first_ms = (time.perf_counter() - t) * 1000
        assert claims["sub"] == user_id and claims["client_id"] == client_id, claims
        for _ in range(WARM_CALLS):
            verifier.verify(token)
        fetched_before = fetches[0]
        samples = []
        for _ in range(CALLS):
            t0 = time.perf_counter_ns()
            verifier.verify(token)
            samples.append((time.perf_counter_ns() - t0) / 1e6)
        refetched = fetches[0] - fetched_before
    finally:
        server.stop()
        os.environ.pop("NIJA_AWS_ENDPOINT_URL", None)
        reset_settings()
    print(f"Access-token verification (RS256, moto Cognito token, JWKS cached), {CALLS:,} calls (ms)")
    print(line("first call (fetches the JWKS over HTTP)", first_ms, "ms", "reported", None))
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    print(line("verify() p50", p50, "ms", "reported", None))
    print(line("verify() p99", p99, "ms", "<= 1 ms", p99 <= 1))
    print(line("JWKS downloads while timing", refetched, "", "0 (cached)", refetched == 0))


if __name__ == "__main__":
    main()
