"""RFC 6238 codes, as authenticator apps make them (SHA-1, 30-second steps, 6 digits): the local
admin's, from the secret the local stack's banner prints.

    .venv/bin/python -m nija.local.totp SECRET
"""

from __future__ import annotations

import base64
import hmac
import struct
import sys
import time


def code(secret: str, at: float | None = None) -> str:
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = struct.pack(">Q", int((time.time() if at is None else at) // 30))
    digest = hmac.new(key, counter, "sha1").digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m nija.local.totp SECRET")
    print(code(sys.argv[1]))
