"""The vault over KMS and Secrets Manager: a KMS data key per seal, bound to {user_id, broker};
the sealed blob stored as the secret's value under the platform's customer-managed key, tagged with
user id and broker so that IAM can give each executor its own broker's secrets only."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from nija.adapters.aws import client
from nija.adapters.envelope import SealBroken, Sealed, encryption_context, seal, unseal
from nija.adapters.secret_eraser import SecretEraser
from nija.catalogue import Catalogue
from nija.domain.credentials import BrokerCredentials, load_credentials
from nija.domain.errors import NotFound, ServiceUnavailable
from nija.domain.models import BrokerName


class KmsSecretsVault:
    def __init__(self, catalogue: Catalogue, key_id: str) -> None:
        self.catalogue = catalogue
        self.key_id = key_id

    def _seal(self, user_id: str, broker: str, payload: dict[str, Any], version: int) -> str:
        key = client("kms").generate_data_key(
            KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=encryption_context(user_id, broker)
        )
        plaintext_key = key.pop("Plaintext")
        try:
            sealed = seal(
                json.dumps(payload, separators=(",", ":")).encode(),
                plaintext_key,
                key["CiphertextBlob"],
                user_id,
                broker,
                version,
            )
        finally:
            del plaintext_key  # the only copy in clear; never logged, never stored
        return sealed.to_json()

    def _write(self, user_id: str, broker: str, secret_string: str, new: bool = False) -> None:
        """Replace the secret's value, or create the secret; `new`: most likely it does not exist
        yet (a first version), so creating is tried first (one call instead of two)."""
        sm = client("secretsmanager")
        name = self.catalogue.secret_name(user_id, broker)

        def replace() -> None:
            sm.put_secret_value(SecretId=name, SecretString=secret_string)

        def create() -> None:
            sm.create_secret(
                Name=name,
                SecretString=secret_string,
                KmsKeyId=self.key_id,
                Description=f"{broker} API credentials of one NIJA user (sealed)",
                Tags=[{"Key": "user_id", "Value": user_id}, {"Key": "broker", "Value": broker}],
            )

        first, second, missing = (
            (create, replace, "ResourceExistsException")
            if new
            else (replace, create, "ResourceNotFoundException")
        )
        try:
            first()
        except ClientError as exc:
            if exc.response["Error"]["Code"] != missing:
                raise
            second()

    def put(self, user_id: str, credentials: BrokerCredentials, version: int) -> None:
        broker = credentials.broker.value
        sealed = self._seal(user_id, broker, credentials.secret_fields(), version)
        self._write(user_id, broker, sealed, new=version == 1)

    def _open(self, user_id: str, broker: str) -> tuple[dict[str, Any], int]:
        try:
            value = client("secretsmanager").get_secret_value(
                SecretId=self.catalogue.secret_name(user_id, broker)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                raise NotFound(f"no {broker} credentials are stored for this user") from None
            raise ServiceUnavailable("the vault did not answer") from None
        sealed = Sealed.from_json(value["SecretString"])
        try:
            data_key = client("kms").decrypt(
                CiphertextBlob=sealed.encrypted_key,
                EncryptionContext=encryption_context(user_id, broker),
                KeyId=self.key_id,
            )["Plaintext"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] in ("InvalidCiphertextException", "IncorrectKeyException"):
                raise SealBroken("the sealed secret does not belong to this user and broker") from None
            raise ServiceUnavailable("the key service did not answer") from None
        payload = json.loads(unseal(sealed, data_key, user_id, broker))
        if payload.get("broker") != broker:
            raise SealBroken("the sealed secret names another broker")
        return payload, sealed.version

    def get(self, user_id: str, broker: BrokerName) -> BrokerCredentials:
        payload, _ = self._open(user_id, broker.value)
        return load_credentials(payload)

    def delete(self, user_id: str, broker: BrokerName) -> None:
        SecretEraser(self.catalogue).delete(user_id, broker)

    def rewrap(self, user_id: str, broker: BrokerName) -> None:
        payload, version = self._open(user_id, broker.value)
        self._write(user_id, broker.value, self._seal(user_id, broker.value, payload, version))
