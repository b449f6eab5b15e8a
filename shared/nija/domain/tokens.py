"""Page tokens as clients hold them: base64url of a small JSON document, opaque to them.

A token comes back as input, so decoding one is bounded (its length, and JSON nesting that would
otherwise exhaust the interpreter's stack) and every failure is the same 422 naming next_token. What
the document must hold is each listing's business: DynamoDB keys (nija.adapters.dynamo.cursor), or a
position in the audit chains (nija.logic.audit).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from nija.domain.errors import InvalidInput

# Characters; every route that takes a next_token bounds it to this (the longest key we issue is
# about 500 characters encoded).
MAX_TOKEN = 2048
FIELD = "next_token"


def refused() -> InvalidInput:
    return InvalidInput("next_token is not a token this API issued", field=FIELD)


def encode_token(body: Any) -> str:
    # UTF-8, not \u escapes: a character outside the BMP is 4 bytes, not 12 (a surrogate pair).
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_token(token: str) -> Any:
    """The JSON document a token carries; InvalidInput (next_token) if it carries none."""
    if len(token) > MAX_TOKEN:
        raise refused()
    try:
        return json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError, RecursionError):
        raise refused() from None
