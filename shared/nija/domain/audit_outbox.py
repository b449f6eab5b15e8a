"""The audit outbox: an audit event stored in the state table by the same transaction as the change
it records, then appended to its subject's hash chain by the audit writer from the table's stream.

A crash between a state write and a separate audit append would lose the record (an order filled and
no `orders.fill` in the trail). With the outbox both are one DynamoDB transaction: either the change
and its event are stored, or neither. The stream holds every insert for 24 hours, the audit writer
retries until it appends, and the append is keyed by the event's id, so each event is in its chain
exactly once, in the order its subject's writes were made (a stream keeps one partition's order).

Where the outbox items sit (a partition per subject, so the stream keeps each chain's order) is the
storage's (nija.adapters.dynamo.keys); the stream decoder reads them back into events
(nija.adapters.dynamo.outbox_records.outbox_event).
"""

from __future__ import annotations

from datetime import timedelta

OUTBOX_KEEP = timedelta(
    days=7
)  # then the table's TTL removes it: the stream keeps 24 h, the writer needs less
