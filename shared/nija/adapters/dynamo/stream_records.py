"""The state table's stream records as the stream processor reads them: by their keys, parsed here
(keys.key_of) into the item's kind and whose it is, which the logic gets (nija.domain.realtime,
nija.logic.telemetry), never the keys. Its event source's filter is made of the same kinds, for the
CDK app (infra_cdk) and the local stack's stream poller alike. (The audit writer's: outbox_records.)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from nija.adapters.dynamo.keys import key_of, stream_filter
from nija.domain.realtime import STREAMED, WATCHED, ConnectionChange, UserEvent, connection_for, event_for
from nija.logic.telemetry import points_for
from nija.ports.timeseries import TimePoint

WATCHED_FILTER = stream_filter(WATCHED)  # what can make a user event
PROCESSOR_FILTER = stream_filter(STREAMED)  # the stream processor's event source
WATCHED_SORT_KEY_PREFIXES = WATCHED_FILTER.sk_prefixes
STREAM_SORT_KEY_PREFIXES = PROCESSOR_FILTER.sk_prefixes


def watched(keys: Mapping[str, Any]) -> bool:
    """Whether an item with these keys can make a user event."""
    return WATCHED_FILTER.keeps(keys)


def streamed(keys: Mapping[str, Any]) -> bool:
    """Whether the stream processor reads an item's changes: a user event, a time-series point or a
    connection (its event source's filter, and the local poller's)."""
    return PROCESSOR_FILTER.keeps(keys)


def user_event(
    event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None, old: dict[str, Any] | None
) -> UserEvent | None:
    """The event a stream record makes for its user (nija.domain.realtime), or None."""
    key = key_of(keys)
    return event_for(event_name, key, new, old) if key is not None else None


def connection_change(event_name: str, keys: Mapping[str, Any]) -> ConnectionChange | None:
    """A user's connection opened or closed, or None for any other record."""
    key = key_of(keys)
    return connection_for(event_name, key) if key is not None else None


def stream_points(
    event_name: str, keys: Mapping[str, Any], new: dict[str, Any] | None, now: datetime
) -> list[TimePoint]:
    """The time-series points one record makes (nija.logic.telemetry), none for most records."""
    key = key_of(keys)
    return points_for(event_name, key, new, now) if key is not None else []
