"""Deleting a user's vault secret by name: no key, no read (so no cryptography import either). The
vault's disconnect of a user's last broker and the account erasure (dashboard_api, which holds
DeleteSecret and nothing else on the vault) both use it."""

from __future__ import annotations

from botocore.exceptions import ClientError

from nija.adapters.aws import client
from nija.catalogue import Catalogue


class SecretEraser:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def delete(self, user_id: str) -> None:
        """Every broker's keys at once, with no recovery window; a secret that is not there is
        already deleted."""
        try:
            client("secretsmanager").delete_secret(
                SecretId=self.catalogue.secret_name(user_id), ForceDeleteWithoutRecovery=True
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
