"""Page tokens: DynamoDB's last evaluated key, base64 JSON, checked whole before it goes back to
DynamoDB. A token is input: it must be exactly the key shape of the listing it pages (the table's
key and the index's, each a string), name the caller's own partition, and sit in the listing's range;
anything else is a 422 naming next_token, never a query DynamoDB refuses (a 500)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nija.domain.errors import InvalidInput

MAX_KEY_VALUE = 1024  # DynamoDB's sort key limit; partition keys are shorter still


@dataclass(frozen=True)
class PageKey:
    """The last evaluated key of one listing: attributes with a fixed value (the partition the listing
    reads), and the other attributes each with the prefix its values have ("" for any)."""

    fixed: Mapping[str, str]
    prefixed: Mapping[str, str] = field(default_factory=dict)


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode() if key else None


def _refuse() -> InvalidInput:
    return InvalidInput("next_token is not a token this API issued", field="next_token")


def decode_cursor(cursor: str | None, shape: PageKey) -> dict[str, Any] | None:
    """The key a token carries, if it has exactly the listing's shape."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError):
        raise _refuse() from None
    if not isinstance(key, dict) or set(key) != {*shape.fixed, *shape.prefixed}:
        raise _refuse()
    for name, value in key.items():
        if not isinstance(value, dict) or set(value) != {"S"} or not isinstance(value["S"], str):
            raise _refuse()
        text = value["S"]
        if not 0 < len(text) <= MAX_KEY_VALUE:
            raise _refuse()
        if name in shape.fixed and text != shape.fixed[name]:
            raise _refuse()
        if name in shape.prefixed and not text.startswith(shape.prefixed[name]):
            raise _refuse()
    return dict(key)
