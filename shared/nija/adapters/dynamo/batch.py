"""Strongly consistent BatchGetItem over the state table, any number of keys (100 per request, the
service's limit), asking again for what DynamoDB leaves unprocessed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nija.adapters.dynamo.models import StateItem

PER_REQUEST = 100
MAX_ATTEMPTS = 5


def batch_get(wanted: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The raw items found for `wanted` (pk, sk) pairs, by key; missing keys are absent."""
    connection = StateItem._get_connection()
    table = connection.table_name
    found: dict[tuple[str, str], dict[str, Any]] = {}
    unique = list(dict.fromkeys(wanted))
    for start in range(0, len(unique), PER_REQUEST):
        pending: list[Any] = [{"pk": pk, "sk": sk} for pk, sk in unique[start : start + PER_REQUEST]]
        for _ in range(MAX_ATTEMPTS):
            response = connection.batch_get_item(pending, consistent_read=True)
            for item in response.get("Responses", {}).get(table, []):
                found[(item["pk"]["S"], item["sk"]["S"])] = item
            pending = [
                {"pk": k["pk"]["S"], "sk": k["sk"]["S"]}
                for k in response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
            ]
            if not pending:
                break
        else:
            raise RuntimeError(f"DynamoDB left {len(pending)} reads unprocessed")
    return found
