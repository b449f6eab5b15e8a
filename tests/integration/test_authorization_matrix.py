"""Every protected route against every way of calling it wrongly, on the local app (verify mode)
with real Cognito tokens from a moto server: no token, a malformed one, an expired one, a forged
signature, another pool's, an ID token; another user's ids; a non-admin on admin routes."""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from nija import wiring
from nija.api.routes import ROUTES, route_for
from nija.config import get_settings, reset_settings
from nija.local import identity
from nija.local.provision import create_vault_key, provision_data_plane
from tests.kit import password_tokens

pytestmark = [pytest.mark.xdist_group("motoserver"), pytest.mark.slow]

PASSWORD = "Matrix-Passw0rd!"
PUBLIC = {
    "/health",
    "/v1/auth/signup",
    "/v1/auth/confirm",
    "/v1/auth/login",
    "/v1/auth/refresh",
    "/v1/auth/mfa/verify",
    "/v1/auth/password/forgot",
    "/v1/auth/password/reset",
    "/v1/auth/confirm/resend",
    "/v1/auth/logout",
}


@dataclass
class World:
    app: TestClient
    pool: identity.Pool
    alice: dict[str, str]
    bob: dict[str, str]
    alice_order: str
    other_pool_token: str


def tokens(client_id: str, email: str) -> dict[str, str]:
    return password_tokens(client_id, email, PASSWORD)


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("NIJA_STAGE", f"matrix{uuid.uuid4().hex[:6]}")
        env.setenv("NIJA_AUTH_MODE", "verify")
        reset_settings()
        cat = get_settings().catalogue
        provision_data_plane(cat)
        env.setenv("NIJA_VAULT_KEY_ID", create_vault_key(cat))
        pool = identity.create_user_pool(cat)
        env.setenv("NIJA_USER_POOL_ID", pool.pool_id)
        env.setenv("NIJA_USER_POOL_CLIENT_ID", pool.client_id)
        env.setenv("NIJA_JWKS_URL", f"{moto_endpoint}/{pool.pool_id}/.well-known/jwks.json")
        env.setenv("NIJA_AUTO_CONFIRM_SIGNUP", "true")
        reset_settings()
        people = {}
        for name in ("alice", "bob"):
            address = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
            user = wiring.accounts().sign_up(address, PASSWORD)
            people[name] = {"user_id": user.user_id, **tokens(pool.client_id, address)}
        other = identity.create_user_pool(cat)
        identity.create_confirmed_user(other, "stranger@example.com", PASSWORD, wiring.users())
        from nija.api.apps import create_local_app

        identity.connect_paper(people["alice"]["user_id"])
        app = TestClient(create_local_app())
        order = app.post(
            "/v1/orders",
            json={
                "broker": "paper",
                "symbol": "BTC/USD",
                "side": "buy",
                "type": "market",
                "quantity": "0.01",
            },
            headers={"Authorization": f"Bearer {people['alice']['AccessToken']}"},
        )
        assert order.status_code == 202, order.text
        yield World(
            app,
            pool,
            people["alice"],
            people["bob"],
            order.json()["order_id"],
            tokens(other.client_id, "stranger@example.com")["AccessToken"],
        )
    reset_settings()


def protected_routes(app: TestClient, world: World) -> list[tuple[str, str]]:
    doc = app.app.openapi()  # type: ignore[attr-defined]
    routes = []
    for path, methods in doc["paths"].items():
        if path in PUBLIC:
            continue
        concrete = path.replace("{order_id}", world.alice_order).replace("{user_id}", world.bob["user_id"])
        routes += [(method.upper(), concrete) for method in methods]
    return sorted(routes)


def expired_token(world: World) -> str:
    """Signed with the issuer's own key (moto's), correct in every way but its expiry."""
    private = json.loads(
        gzip.decompress(
            resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
        )
    )
    key = jwt.PyJWK(private)
    now = int(time.time())
    claims = jwt.decode(world.alice["AccessToken"], options={"verify_signature": False})
    claims.update(iat=now - 3600, auth_time=now - 3600, exp=now - 60)
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key.key_id or "dummy"})


def forged(token: str) -> str:
    head, body, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return ".".join((head, body, signature[:middle] + flipped + signature[middle + 1 :]))


def call(world: World, method: str, path: str, authorization: str | None) -> Any:
    headers = {"Authorization": authorization} if authorization else {}
    body = {} if method in ("POST", "PUT") else None
    return world.app.request(method, path, headers=headers, json=body)


BAD = ["none", "malformed", "basic scheme", "expired", "forged signature", "other pool", "id token"]


def bad_authorization(world: World, kind: str) -> str | None:
    return {
        "none": None,
        "malformed": "Bearer not.a.jwt",
        "basic scheme": "Basic dXNlcjpwYXNz",
        "expired": f"Bearer {expired_token(world)}",
        "forged signature": f"Bearer {forged(world.alice['AccessToken'])}",
        "other pool": f"Bearer {world.other_pool_token}",
        "id token": f"Bearer {world.alice['IdToken']}",
    }[kind]


@pytest.mark.parametrize("kind", BAD)
def test_every_protected_route_refuses_a_bad_credential(world: World, kind: str) -> None:
    authorization = bad_authorization(world, kind)
    routes = protected_routes(world.app, world)
    assert len(routes) >= 8
    for method, path in routes:
        r = call(world, method, path, authorization)
        assert r.status_code == 401, (kind, method, path, r.status_code, r.text)
        assert r.json()["error"]["code"] == "unauthenticated"


def test_another_users_order_does_not_exist_for_them(world: World) -> None:
    bob = f"Bearer {world.bob['AccessToken']}"
    for method in ("GET", "DELETE"):
        r = call(world, method, f"/v1/orders/{world.alice_order}", bob)
        assert r.status_code == 404, r.text
        assert r.json()["error"]["code"] == "not_found"
    assert all(
        o["order_id"] != world.alice_order
        for o in world.app.get("/v1/orders", headers={"Authorization": bob}).json()["items"]
    )
    mine = call(world, "GET", f"/v1/orders/{world.alice_order}", f"Bearer {world.alice['AccessToken']}")
    assert mine.status_code == 200


def test_admin_routes_need_the_admins_group(world: World) -> None:
    admin_paths = [(m, p) for m, p in protected_routes(world.app, world) if p.startswith("/admin/")]
    assert admin_paths
    for method, path in admin_paths:
        r = call(world, method, path, f"Bearer {world.alice['AccessToken']}")
        assert r.status_code == 403, (method, path, r.text)
        assert r.json()["error"]["code"] == "forbidden"


def test_a_users_permissions_are_for_admins_only(world: World) -> None:
    """GET and PUT /admin/users/{id}/permissions: in the matrix above like every admin route; a valid
    body changes nothing for a non-admin, their own id included, and the user sees theirs on /v1/me."""
    routes = protected_routes(world.app, world)
    path = f"/admin/users/{world.bob['user_id']}/permissions"
    assert {("GET", path), ("PUT", path)} <= set(routes)
    body = {"trading_enabled": False}
    for who in (world.alice, world.bob):
        headers = {"Authorization": f"Bearer {who['AccessToken']}"}
        for method in ("GET", "PUT"):
            r = world.app.request(method, path, headers=headers, json=body if method == "PUT" else None)
            assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden", (method, r.text)
    me = world.app.get("/v1/me", headers={"Authorization": f"Bearer {world.bob['AccessToken']}"})
    assert me.status_code == 200 and me.json()["permissions"]["trading_enabled"] is True


def test_a_disabled_user_is_refused(world: World) -> None:
    from nija.domain.models import UserStatus

    address = f"carol-{uuid.uuid4().hex[:8]}@example.com"
    carol = wiring.accounts().sign_up(address, PASSWORD)
    token = tokens(world.pool.client_id, address)["AccessToken"]
    wiring.users().put_user(carol.model_copy(update={"status": UserStatus.DISABLED}))
    r = call(world, "GET", "/v1/me", f"Bearer {token}")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}/]+\}", "x", re.sub(r"\{[^}/]+\+\}", "x/y", path))


def test_the_token_check_follows_the_route_table(world: World) -> None:
    """nija.api.routes decides, per route and method: a public route answers without a token, every
    other call (any method a route does not list, OPTIONS included) is 401 without one."""
    checked = 0
    for route in ROUTES:
        path = _concrete(route.path)
        listed = ("GET", "POST") if "ANY" in route.methods else route.methods
        for method in (*listed, "OPTIONS"):
            r = call(world, method, path, None)
            public = method in listed and route_for(method, path) is route and route.public
            if public:
                assert r.status_code != 401, (method, path, r.text)
            else:
                assert r.status_code == 401, (method, path, r.status_code, r.text)
                assert r.json()["error"]["code"] == "unauthenticated"
            checked += 1
    assert checked > len(ROUTES)


def test_the_recovery_routes_are_in_the_matrix(world: World) -> None:
    """The signed-in ones are checked with every bad credential above; the public ones answer without
    a token (422 for an empty body, never 401)."""
    protected = protected_routes(world.app, world)
    assert ("POST", "/v1/auth/password/change") in protected and ("DELETE", "/v1/auth/mfa") in protected
    for path in ("password/forgot", "password/reset", "confirm/resend", "logout"):
        assert f"/v1/auth/{path}" in PUBLIC and route_for("POST", f"/v1/auth/{path}").public  # type: ignore[union-attr]
        r = call(world, "POST", f"/v1/auth/{path}", None)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_input", (path, r.text)


def test_a_signed_in_user_changes_the_password_and_turns_totp_off(world: World) -> None:
    """With a valid token the signed-in recovery routes reach the caller's account."""
    address = f"dave-{uuid.uuid4().hex[:8]}@example.com"
    wiring.accounts().sign_up(address, PASSWORD)
    dave = f"Bearer {tokens(world.pool.client_id, address)['AccessToken']}"
    off = world.app.request(
        "DELETE", "/v1/auth/mfa", headers={"Authorization": dave}, json={"code": "123456"}
    )
    assert off.status_code == 204, off.text
    body = {"current_password": PASSWORD, "new_password": "Matrix-Passw0rd-2!"}
    changed = world.app.post("/v1/auth/password/change", headers={"Authorization": dave}, json=body)
    assert changed.status_code == 204, changed.text


def test_a_valid_token_starts_totp_enrolment(world: World) -> None:
    """/v1/auth/mfa/setup is not public: the token is verified and the route gets its caller."""
    r = call(world, "POST", "/v1/auth/mfa/setup", f"Bearer {world.bob['AccessToken']}")
    assert r.status_code == 200, r.text
    assert r.json()["secret_code"] and r.json()["otpauth_uri"].startswith("otpauth://totp/")
