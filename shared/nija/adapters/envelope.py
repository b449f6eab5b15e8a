"""Envelope encryption of one secret: AES-256-GCM under a data key that KMS generated and wraps.

The associated data binds a sealed secret to its user, broker and version: a blob copied into
another user's (or broker's) secret fails to open, even before KMS refuses its data key.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nija.domain.errors import NijaError

FORMAT = 1
NONCE_BYTES = 12


class SealBroken(NijaError):
    """A sealed secret that does not open: tampered with, or not this user's and broker's."""

    code = "seal_broken"


@dataclass(frozen=True)
class Sealed:
    version: int
    encrypted_key: bytes  # the data key, wrapped by KMS under the encryption context
    nonce: bytes
    ciphertext: bytes  # AES-GCM output: encrypted payload followed by its 16-byte tag

    def to_json(self) -> str:
        b64 = base64.b64encode
        return json.dumps(
            {
                "format": FORMAT,
                "alg": "AES-256-GCM",
                "version": self.version,
                "key": b64(self.encrypted_key).decode(),
                "nonce": b64(self.nonce).decode(),
                "ciphertext": b64(self.ciphertext).decode(),
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Sealed:
        try:
            raw = json.loads(text)
            if raw["format"] != FORMAT:
                raise SealBroken(f"unknown sealed format {raw['format']}")
            return cls(
                version=int(raw["version"]),
                encrypted_key=base64.b64decode(raw["key"]),
                nonce=base64.b64decode(raw["nonce"]),
                ciphertext=base64.b64decode(raw["ciphertext"]),
            )
        except (ValueError, KeyError, TypeError):
            raise SealBroken("the sealed secret is not readable") from None


def associated_data(user_id: str, broker: str, version: int) -> bytes:
    return json.dumps({"user_id": user_id, "broker": broker, "version": version}, sort_keys=True).encode()


def encryption_context(user_id: str, broker: str) -> dict[str, str]:
    """KMS encryption context: KMS refuses to unwrap the data key for any other pair."""
    return {"user_id": user_id, "broker": broker}


def seal(
    plaintext: bytes, data_key: bytes, encrypted_key: bytes, user_id: str, broker: str, version: int
) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(data_key).encrypt(nonce, plaintext, associated_data(user_id, broker, version))
    return Sealed(version=version, encrypted_key=encrypted_key, nonce=nonce, ciphertext=ciphertext)


def unseal(sealed: Sealed, data_key: bytes, user_id: str, broker: str) -> bytes:
    try:
        return AESGCM(data_key).decrypt(
            sealed.nonce, sealed.ciphertext, associated_data(user_id, broker, sealed.version)
        )
    except InvalidTag:
        raise SealBroken(
            "the sealed secret does not belong to this user and broker, or was altered"
        ) from None
