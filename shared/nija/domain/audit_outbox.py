"""The audit outbox: an audit event stored in the state table by the same transaction as the change
it records, then appended to its subject's hash chain by the audit writer from the table's stream.

A crash between a state write and a separate audit append would lose the record (an order filled and
no `orders.fill` in the trail). With the outbox both are one DynamoDB transaction: either the change
and its event are stored, or neither. The stream holds every insert for 24 hours, the audit writer
retries until it appends, and the append is keyed by the event's id, so each event is in its chain
exactly once, in the order its subject's writes were made (a stream keeps one partition's order).

Pure: the stream record's keys and new image (plain Python values) in, the event out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nija.domain.audit import AuditEvent

OUTBOX_PREFIX = "OUTBOX#"  # pk: OUTBOX#<subject>, one partition per chain, so the stream keeps its order
OUTBOX_SK_PREFIX = "AUDIT#"  # sk: AUDIT#<event_id>
OUTBOX_KEEP = timedelta(
    days=7
)  # then the table's TTL removes it: the stream keeps 24 h, the writer needs less


def outbox_pk(subject: str) -> str:
    return f"{OUTBOX_PREFIX}{subject}"


def outbox_sk(event_id: str) -> str:
    return f"{OUTBOX_SK_PREFIX}{event_id}"


def is_outbox(keys: dict[str, Any]) -> bool:
    """Whether a stream record is an outbox item's (the audit writer's event source filter)."""
    return str(keys.get("pk", "")).startswith(OUTBOX_PREFIX) and str(keys.get("sk", "")).startswith(
        OUTBOX_SK_PREFIX
    )


def outbox_event(event_name: str, keys: dict[str, Any], new: dict[str, Any] | None) -> AuditEvent | None:
    """The event an outbox item's insert carries; None for any other record (its TTL removal, an item
    that is not the outbox's). A malformed event raises: the writer must not skip a record silently."""
    if event_name != "INSERT" or not is_outbox(keys) or not new:
        return None
    event = AuditEvent.model_validate_json(str(new["event"]))
    if outbox_pk(event.subject) != keys["pk"] or outbox_sk(event.event_id) != keys["sk"]:
        raise ValueError(f"outbox item {keys['pk']}/{keys['sk']} holds another event ({event.event_id})")
    return event
