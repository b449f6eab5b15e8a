"""pynamodb model of the audit table (keys: nija.adapters.dynamo.keys): bound with the state table's
models by ``nija.adapters.dynamo.binding.bind``, to its own table. Each index projects what the
catalogue says (nija.catalogue.AUDIT_INDEXES): an item read from one holds its keys (and gsi2's
actor), not the record."""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
    Projection,
)

from nija.adapters.dynamo.models import StateItem
from nija.catalogue import AUDIT_INDEXES, INCLUDE, KEYS_ONLY


def _projection(name: str) -> Projection:
    (index,) = [i for i in AUDIT_INDEXES if i.name == name]
    if index.projection == KEYS_ONLY:
        return KeysOnlyProjection()
    if index.projection == INCLUDE:
        return IncludeProjection(list(index.include))
    return AllProjection()


class _AuditByTime(GlobalSecondaryIndex["AuditItem"]):
    class Meta:
        index_name = "gsi1"
        projection = _projection("gsi1")

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _AuditBySubjectTime(GlobalSecondaryIndex["AuditItem"]):
    class Meta:
        index_name = "gsi2"
        projection = _projection("gsi2")

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _AuditChains(GlobalSecondaryIndex["AuditItem"]):
    class Meta:
        index_name = "gsi3"
        projection = _projection("gsi3")

    gsi3pk = UnicodeAttribute(hash_key=True)
    gsi3sk = UnicodeAttribute(range_key=True)


class _AuditByActor(GlobalSecondaryIndex["AuditItem"]):
    class Meta:
        index_name = "gsi4"
        projection = _projection("gsi4")

    gsi4pk = UnicodeAttribute(hash_key=True)
    gsi4sk = UnicodeAttribute(range_key=True)


class AuditItem(StateItem):
    """One record of a subject's hash chain (nija.adapters.dynamo.audit), in the audit table (its own
    Meta, bound apart from the state table's models)."""

    class Meta:
        table_name = "unbound"

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute()
    gsi3sk = UnicodeAttribute()
    gsi4pk = UnicodeAttribute(null=True)  # only when a person acted (nija.domain.audit.is_person)
    gsi4sk = UnicodeAttribute(null=True)
    by_time = _AuditByTime()
    by_subject_time = _AuditBySubjectTime()
    chains = _AuditChains()
    by_actor = _AuditByActor()
    seq = NumberAttribute()
    prev_hash = UnicodeAttribute()
    hash = UnicodeAttribute()
    action = UnicodeAttribute()
    outcome = UnicodeAttribute()
    subject = UnicodeAttribute()
    actor = UnicodeAttribute()
    details = MapAttribute(default=dict)
    source_ip = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    event_id = UnicodeAttribute()


class AuditEventKeyItem(StateItem):
    """In the audit table, under the event's id: the event is in a chain, at this seq. Written in
    the same transaction as the record, on condition that it is new, so an event delivered twice
    (an outbox item's stream record retried) is appended once (nija.adapters.dynamo.audit)."""

    class Meta:
        table_name = "unbound"

    subject = UnicodeAttribute()
    seq = NumberAttribute()


class AuditLateItem(StateItem):
    """In the audit table, by the day and time a record was appended long after its event happened
    (the audit writer's retries, `nija audit flush-outbox`): written with the record, so that the
    anchor, which reads the by-time index only since its last cut, still finds the chain."""

    class Meta:
        table_name = "unbound"


AUDIT_MODELS = (AuditItem, AuditEventKeyItem, AuditLateItem)
