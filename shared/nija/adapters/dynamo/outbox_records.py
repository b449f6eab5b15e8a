"""The audit outbox's stream records as the audit writer reads them (nija.domain.audit_outbox): each
insert's event, checked against its keys (parsed here, keys.key_of); and the filter of the writer's
event source, for the CDK app (infra_cdk) and the local stack's stream poller alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nija.adapters.dynamo.keys import key_of, stream_filter
from nija.domain.audit import AuditEvent
from nija.domain.items import ItemKind

OUTBOX_FILTER = stream_filter([ItemKind.AUDIT_OUTBOX])  # the writer's event source (its inserts only)


def is_outbox(keys: Mapping[str, Any]) -> bool:
    """Whether a stream record is an outbox item's (the audit writer's event source filter)."""
    return OUTBOX_FILTER.keeps(keys)


def outbox_event(event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None) -> AuditEvent | None:
    """The event an outbox item's insert carries; None for any other record (its TTL removal, an item
    that is not the outbox's). A malformed event raises: the writer must not skip a record silently."""
    key = key_of(keys)
    if event_name != "INSERT" or key is None or key.kind is not ItemKind.AUDIT_OUTBOX or not new:
        return None
    event = AuditEvent.model_validate_json(str(new["event"]))
    if (event.subject, event.event_id) != (key.owner, key.name):
        raise ValueError(f"outbox item {keys['pk']}/{keys['sk']} holds another event ({event.event_id})")
    return event
