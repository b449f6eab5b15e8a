"""Page tokens: DynamoDB's last evaluated key, base64 JSON, bound to the partition it pages through."""

from __future__ import annotations

import base64
import json
from typing import Any

from nija.domain.errors import InvalidInput


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode() if key else None


def decode_cursor(cursor: str | None, attribute: str, partition: str) -> dict[str, Any] | None:
    """The key a token carries; it must name `partition` in `attribute` (the caller's own partition
    or index partition), else it is not a token this API issued for this listing."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        owner = key[attribute]["S"]
    except (ValueError, TypeError, KeyError):
        raise InvalidInput("next_token is not a token this API issued", field="next_token") from None
    if owner != partition or not all(isinstance(v, dict) for v in key.values()):
        raise InvalidInput("next_token is not a token this API issued", field="next_token")
    return dict(key)
