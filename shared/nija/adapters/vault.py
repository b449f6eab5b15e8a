"""The vault over KMS and Secrets Manager: one secret per user, whatever their brokers (a secret
costs $0.40 a month, whatever it holds).

- The secret's current version (AWSCURRENT) is a manifest with no secret in it.
- Each broker's sealed keys are a version of their own, labelled with the broker's name (a staging
  label). Writing a broker's keys puts a new version with its label, which moves the label off the
  old one: nothing of the other brokers is read or rewritten, so the API still never reads a value.
- A KMS data key per seal is bound to {user_id, broker}. An executor may read only versions labelled
  with its broker (IAM: ``secretsmanager:VersionStage``) and open only its broker's data keys
  (``kms:EncryptionContext:broker``): the brokers stay as isolated as with a secret each.
- A version that lost its label (replaced, re-wrapped, disconnected) keeps its sealed blob until
  Secrets Manager drops it, as a replaced secret's previous version did; no role may read a version
  without its broker's label. Disconnecting the last broker deletes the secret, as does the erasure.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from botocore.exceptions import ClientError

from nija.adapters.aws import client
from nija.adapters.envelope import SealBroken, Sealed, encryption_context, seal, unseal
from nija.adapters.secret_eraser import SecretEraser
from nija.catalogue import VAULT_USER_KEY, Catalogue
from nija.domain.credentials import BrokerCredentials, load_credentials
from nija.domain.errors import NotFound, ServiceUnavailable
from nija.domain.models import BrokerName

MANIFEST_FORMAT = 2
BROKER_LABELS = frozenset(b.value for b in BrokerName)
KNOWN_SECRETS = 10_000  # users whose secret this process made or wrote (the oldest forgotten first)


def _code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])


class KmsSecretsVault:
    def __init__(self, catalogue: Catalogue, key_id: str) -> None:
        self.catalogue = catalogue
        self.key_id = key_id
        # Users known to have a secret: their next broker's first keys are put at once, not created
        # first (one call instead of two). Only a hint: a secret deleted elsewhere is made again.
        self._known: OrderedDict[str, None] = OrderedDict()

    def _knows(self, user_id: str, has_secret: bool = True) -> None:
        self._known.pop(user_id, None)
        if has_secret:
            self._known[user_id] = None
            while len(self._known) > KNOWN_SECRETS:
                self._known.popitem(last=False)

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

    def _create(self, user_id: str) -> None:
        """The user's secret with its manifest as the current version; one made meanwhile is fine."""
        manifest = {"format": MANIFEST_FORMAT, VAULT_USER_KEY: user_id, "versions": "one per broker"}
        try:
            client("secretsmanager").create_secret(
                Name=self.catalogue.secret_name(user_id),
                SecretString=json.dumps(manifest, separators=(",", ":")),
                KmsKeyId=self.key_id,
                Description="The sealed broker API credentials of one NIJA user: a version per broker",
                Tags=[{"Key": VAULT_USER_KEY, "Value": user_id}],
            )
        except ClientError as exc:
            if _code(exc) != "ResourceExistsException":
                raise

    def _write(self, user_id: str, broker: str, sealed: str, first: bool = False) -> None:
        """Put the broker's version. `first`: most likely the user has no secret yet (their first
        keys), so it is created first (two calls instead of three)."""
        if first and user_id not in self._known:
            self._create(user_id)

        def put() -> None:
            client("secretsmanager").put_secret_value(
                SecretId=self.catalogue.secret_name(user_id), SecretString=sealed, VersionStages=[broker]
            )

        try:
            put()
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            self._create(user_id)
            put()
        self._knows(user_id)

    def put(self, user_id: str, credentials: BrokerCredentials, version: int) -> None:
        broker = credentials.broker.value
        sealed = self._seal(user_id, broker, credentials.secret_fields(), version)
        self._write(user_id, broker, sealed, first=version == 1)

    def _open(self, user_id: str, broker: str) -> tuple[dict[str, Any], int]:
        try:
            value = client("secretsmanager").get_secret_value(
                SecretId=self.catalogue.secret_name(user_id), VersionStage=broker
            )
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
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
            if _code(exc) in ("InvalidCiphertextException", "IncorrectKeyException"):
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
        """Take the broker's label off its version; with no other broker's left, delete the secret.
        The caller holds the user's vault lock (nothing is labelled meanwhile)."""
        sm, name = client("secretsmanager"), self.catalogue.secret_name(user_id)
        try:
            stages = sm.describe_secret(SecretId=name).get("VersionIdsToStages", {})
        except ClientError as exc:
            if _code(exc) == "ResourceNotFoundException":
                return
            raise
        labelled = {stage: vid for vid, names in stages.items() for stage in names if stage in BROKER_LABELS}
        if not set(labelled) - {broker.value}:
            SecretEraser(self.catalogue).delete(user_id)
            self._knows(user_id, has_secret=False)
        elif broker.value in labelled:
            sm.update_secret_version_stage(
                SecretId=name, VersionStage=broker.value, RemoveFromVersionId=labelled[broker.value]
            )

    def rewrap(self, user_id: str, broker: BrokerName) -> None:
        payload, version = self._open(user_id, broker.value)
        self._write(user_id, broker.value, self._seal(user_id, broker.value, payload, version))
