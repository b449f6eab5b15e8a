"""An erased or disabled account acts no more, over HTTP on the local stack, whatever the authorizer
cached: its token writes nothing, nothing reaches a broker, and nothing is left behind."""

from __future__ import annotations

import uuid
from typing import Any

import boto3
import httpx
import pytest

from nija.catalogue import catalogue
from nija.local.identity import ADMIN_EMAIL, ADMIN_PASSWORD, http_sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
PASSWORD = "Standing-Passw0rd-42!"
ORDER = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.001"}
KEYS = {"api_key": "standing-key-0001", "api_secret": "standing-secret"}


def _user(api: str) -> tuple[str, str, dict[str, str]]:
    email = f"standing-{uuid.uuid4().hex[:8]}@example.com"
    signed = httpx.post(f"{api}/v1/auth/signup", json={"email": email, "password": PASSWORD}, timeout=10)
    assert signed.status_code == 201, signed.text
    return email, signed.json()["user_id"], _login(api, email, PASSWORD)


def _login(api: str, email: str, password: str, totp_secret: str | None = None) -> dict[str, str]:
    with httpx.Client(base_url=api, timeout=10) as http:
        return {"Authorization": f"Bearer {http_sign_in(http, email, password, totp_secret)}"}


def _admin(stack) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The local admin, signed in as its banner says: the password, then a TOTP code."""
    return _login(stack.api, ADMIN_EMAIL, ADMIN_PASSWORD, stack.admin_totp_secret())


def _writes(api: str, headers: dict[str, str]) -> dict[str, httpx.Response]:
    """Every kind of write a user can make, with this token."""
    settings = httpx.get(f"{api}/v1/settings", headers=headers, timeout=10)
    body: dict[str, Any] = (
        settings.json() if settings.status_code == 200 else {"strategy": {}, "risk": {"time_zone": "UTC"}}
    )
    return {
        "credentials": httpx.put(
            f"{api}/v1/brokers/paper/credentials", json=KEYS, headers=headers, timeout=10
        ),
        "settings": httpx.put(f"{api}/v1/settings", json=body, headers=headers, timeout=10),
        "order": httpx.post(
            f"{api}/v1/orders", json=ORDER, headers={**headers, "Idempotency-Key": "late"}, timeout=10
        ),
        "kill_switch": httpx.post(
            f"{api}/v1/kill-switch", json={"engaged": True}, headers=headers, timeout=10
        ),
        "device": httpx.post(
            f"{api}/v1/devices",
            json={"token": "ExponentPushToken[standing0000000000000]", "platform": "ios"},
            headers=headers,
            timeout=10,
        ),
    }


def _aws(stack: Any, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=stack.aws,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_an_erased_accounts_token_writes_nothing_and_leaves_nothing(stack) -> None:  # type: ignore[no-untyped-def]
    email, user_id, headers = _user(stack.api)
    assert (
        httpx.put(f"{stack.api}/v1/brokers/paper/credentials", json=KEYS, headers=headers).status_code == 200
    )
    assert httpx.get(f"{stack.api}/v1/me", headers=headers).status_code == 200  # the verdict is cached
    erased = httpx.request("DELETE", f"{stack.api}/v1/me", json={"confirm": email}, headers=headers)
    assert erased.status_code == 204, erased.text

    for name, response in _writes(stack.api, headers).items():
        assert response.status_code == 403, (name, response.status_code, response.text)
        assert response.json()["error"]["code"] == "forbidden", name
    assert httpx.get(f"{stack.api}/v1/me", headers=headers).status_code == 403

    cat = catalogue("local")
    for partition in (f"USER#{user_id}", f"PAPER#{user_id}"):
        left = _aws(stack, "dynamodb").query(
            TableName=cat.state_table.name,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": partition}},
            ConsistentRead=True,
        )["Items"]
        assert left == [], partition
    secrets = _aws(stack, "secretsmanager").list_secrets(
        Filters=[{"Key": "name", "Values": [cat.secret_name(user_id)]}]
    )["SecretList"]
    assert secrets == []


def test_a_disabled_accounts_token_is_refused_at_once(stack) -> None:  # type: ignore[no-untyped-def]
    _, user_id, headers = _user(stack.api)
    assert (
        httpx.put(f"{stack.api}/v1/brokers/paper/credentials", json=KEYS, headers=headers).status_code == 200
    )
    assert httpx.get(f"{stack.api}/v1/me", headers=headers).status_code == 200  # the verdict is cached
    admin = _admin(stack)
    off = httpx.post(f"{stack.api}/admin/users/{user_id}/disable", headers=admin, timeout=10)
    assert off.status_code == 200, off.text

    assert httpx.get(f"{stack.api}/v1/me", headers=headers).status_code == 403
    assert httpx.get(f"{stack.api}/v1/orders", headers=headers).status_code == 403
    for name, response in _writes(stack.api, headers).items():
        assert response.status_code == 403, (name, response.status_code, response.text)
    assert httpx.post(f"{stack.api}/admin/users/{user_id}/enable", headers=admin).status_code == 200
    assert httpx.get(f"{stack.api}/v1/orders", headers=headers).json()["items"] == []  # none was placed
