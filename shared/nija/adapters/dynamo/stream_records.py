"""The state table's stream records, read by their keys: the stream decoders and the event sources'
filters, for the stream processor and the audit writer.

A record's keys are parsed here (keys.parse) into the item's kind and whose it is, and the logic gets
that (nija.domain.realtime, nija.logic.telemetry), never the keys. The filters are made from the same
kinds and the same key layout, for the CDK app's event sources (infra_cdk) and the local stack's
stream pollers alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nija.adapters.dynamo import keys as layout
from nija.domain.audit import AuditEvent
from nija.domain.items import ItemKey, ItemKind
from nija.domain.realtime import STREAMED, WATCHED, ConnectionChange, UserEvent, connection_for, event_for
from nija.logic.telemetry import points_for
from nija.ports.timeseries import TimePoint


@dataclass(frozen=True)
class StreamFilter:
    """Which records an event source keeps: the partition key under one prefix, the sort key under
    any of some (the filter rules of a Lambda event source on a DynamoDB stream)."""

    pk_prefix: str
    sk_prefixes: tuple[str, ...]

    def keeps(self, keys: Mapping[str, Any]) -> bool:
        pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
        return pk.startswith(self.pk_prefix) and sk.startswith(self.sk_prefixes)


def stream_filter(kinds: Iterable[ItemKind]) -> StreamFilter:
    """The filter that keeps these kinds of item (kinds under one partition-key prefix)."""
    kinds = tuple(kinds)
    [pk_prefix] = {layout.pk_prefix(k) for k in kinds}
    return StreamFilter(pk_prefix, tuple(layout.sk_prefix(k) for k in kinds))


WATCHED_FILTER = stream_filter(WATCHED)  # what can make a user event
PROCESSOR_FILTER = stream_filter(STREAMED)  # the stream processor's event source
OUTBOX_FILTER = stream_filter([ItemKind.AUDIT_OUTBOX])  # the audit writer's (its inserts only)
WATCHED_SORT_KEY_PREFIXES = WATCHED_FILTER.sk_prefixes
STREAM_SORT_KEY_PREFIXES = PROCESSOR_FILTER.sk_prefixes


def watched(keys: Mapping[str, Any]) -> bool:
    """Whether an item with these keys can make a user event."""
    return WATCHED_FILTER.keeps(keys)


def streamed(keys: Mapping[str, Any]) -> bool:
    """Whether the stream processor reads an item's changes: a user event, a time-series point or a
    connection (its event source's filter, and the local poller's)."""
    return PROCESSOR_FILTER.keeps(keys)


def is_outbox(keys: Mapping[str, Any]) -> bool:
    """Whether a stream record is an outbox item's (the audit writer's event source filter)."""
    return OUTBOX_FILTER.keeps(keys)


def item_key(keys: Mapping[str, Any]) -> ItemKey | None:
    return layout.parse(str(keys.get("pk", "")), str(keys.get("sk", "")))


def user_event(
    event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None, old: dict[str, Any] | None
) -> UserEvent | None:
    """The event a stream record makes for its user (nija.domain.realtime), or None."""
    key = item_key(keys)
    return event_for(event_name, key, new, old) if key is not None else None


def connection_change(event_name: str, keys: Mapping[str, Any]) -> ConnectionChange | None:
    """A user's connection opened or closed, or None for any other record."""
    key = item_key(keys)
    return connection_for(event_name, key) if key is not None else None


def stream_points(
    event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None, now: datetime
) -> list[TimePoint]:
    """The time-series points one record makes (nija.logic.telemetry), none for most records."""
    key = item_key(keys)
    return points_for(event_name, key, new, now) if key is not None else []


def outbox_event(event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None) -> AuditEvent | None:
    """The event an outbox item's insert carries (nija.domain.audit_outbox); None for any other record
    (its TTL removal, an item that is not the outbox's). A malformed event raises: the writer must not
    skip a record silently."""
    key = item_key(keys)
    if event_name != "INSERT" or key is None or key.kind is not ItemKind.AUDIT_OUTBOX or not new:
        return None
    event = AuditEvent.model_validate_json(str(new["event"]))
    if (event.subject, event.event_id) != (key.owner, key.name):
        raise ValueError(f"outbox item {keys['pk']}/{keys['sk']} holds another event ({event.event_id})")
    return event
