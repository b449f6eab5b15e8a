"""The local stack's fix to moto's Secrets Manager (nija.local.moto_secrets): a secret is still found
by name, by ARN and by partial ARN, and a deleted one is gone, as before the fix."""

from __future__ import annotations

import pytest

from nija.adapters.aws import client

pytestmark = pytest.mark.usefixtures("aws")


def test_a_secret_is_found_by_name_arn_and_partial_arn_and_deleted_by_any() -> None:
    sm = client("secretsmanager")
    made = {n: sm.create_secret(Name=f"nija-test/users/u{n}/vault", SecretString=f"v{n}") for n in range(3)}
    arn = made[1]["ARN"]
    for secret_id in ("nija-test/users/u1/vault", arn, arn.rsplit("-", 1)[0]):
        assert sm.get_secret_value(SecretId=secret_id)["SecretString"] == "v1", secret_id
    assert sm.describe_secret(SecretId=arn)["Name"] == "nija-test/users/u1/vault"
    sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    with pytest.raises(sm.exceptions.ResourceNotFoundException):
        sm.get_secret_value(SecretId="nija-test/users/u1/vault")
    sm.delete_secret(SecretId="nija-test/users/u2/vault", ForceDeleteWithoutRecovery=True)
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == ["nija-test/users/u0/vault"]
