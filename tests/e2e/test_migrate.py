"""`nija migrate` against the local stack, as an operator runs it: the migrated user accepts the
invitation from the email outbox (Cognito's NEW_PASSWORD_REQUIRED, as the hosted UI or any Cognito
client answers it), signs in over HTTP and finds the imported brokers, with trading off."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from legacy_install import snapshot, standard

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
RUNNER = Path(__file__).with_name("migrate_runner.py")
NEW_PASSWORD = "Jane-Chosen-Passw0rd!"


def nija_migrate(stack: Any, cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NIJA_"))}
    return subprocess.run(
        [sys.executable, str(RUNNER), "migrate", *argv, "--aws-endpoint", stack.aws],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_migrated_user_accepts_the_invitation_and_sees_the_imported_brokers(
    stack: Any, tmp_path: Path
) -> None:
    install = standard(tmp_path / "legacy")
    before = snapshot(install.root)
    operator = tmp_path / "operator"
    operator.mkdir()
    applied = nija_migrate(stack, operator, "apply", str(install.root), "--emails", str(install.emails))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    outbox = operator / ".nija-local" / "email-outbox.jsonl"
    assert f"invitations: recorded to {outbox}" in applied.stdout
    report = json.loads((operator / "nija-migrate-apply.json").read_text())
    assert report["summary"]["to_do"] == 0 and report["target"]["stage"] == "local"

    invitation = next(json.loads(line) for line in outbox.read_text().splitlines() if "jane@example" in line)
    temporary = re.search(r"Temporary password: (\S+)", invitation["body"])
    assert temporary is not None
    api = stack.api
    first = httpx.post(f"{api}/v1/auth/login", json={"email": "jane@example.com", "password": temporary[1]})
    assert first.status_code == 200, first.text
    assert first.json()["challenge"] == "NEW_PASSWORD_REQUIRED" and "access_token" not in first.json()
    idp = boto3.client(
        "cognito-idp",
        endpoint_url=stack.aws,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    pool = next(
        p["Id"] for p in idp.list_user_pools(MaxResults=60)["UserPools"] if p["Name"] == "nija-local-users"
    )
    client_id = idp.list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    idp.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=first.json()["session"],
        ChallengeResponses={"USERNAME": "jane@example.com", "NEW_PASSWORD": NEW_PASSWORD},
    )

    signed_in = httpx.post(
        f"{api}/v1/auth/login", json={"email": "jane@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    brokers = httpx.get(f"{api}/v1/brokers", headers=headers)
    assert brokers.status_code == 200, brokers.text
    shown = {b["broker"]: (b["masked_key"], b["paper_trading"]) for b in brokers.json()["items"]}
    assert shown == {"alpaca": ("****0001", False), "kraken": ("****0001", None)}
    settings = httpx.get(f"{api}/v1/settings", headers=headers).json()
    assert settings["strategy"]["enabled"] is False and settings["strategy"]["symbols"] == []
    assert sorted(settings["strategy"]["brokers"]) == ["alpaca", "kraken"]
    assert settings["risk"]["max_open_positions"] == 3
    me = httpx.get(f"{api}/v1/me", headers=headers).json()
    assert (me["email"], me["tier"], me["status"]) == ("jane@example.com", "basic", "active")

    again = nija_migrate(stack, operator, "plan", str(install.root), "--emails", str(install.emails))
    assert again.returncode == 0 and "nothing left to do" in again.stdout, again.stdout + again.stderr
    assert snapshot(install.root) == before
    texts = applied.stdout + applied.stderr + again.stdout + again.stderr + json.dumps(report)
    assert [c[:16] for c in install.canaries if c in texts] == []
