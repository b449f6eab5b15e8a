"""audit_writer: the state table's stream, filtered to the audit outbox (nija.domain.audit_outbox; its
records read by nija.adapters.dynamo.outbox_records). Each outbox item's event is appended to its
subject's hash chain exactly once: the append is keyed by the event's id, so a retried batch appends
nothing twice. A record that cannot be appended fails its
batch from that record on (ReportBatchItemFailures), and the event source retries it until it is in:
unlike a WebSocket push, an audit record is never skipped. The later events of the same chain in that
batch fail with it, so a chain is appended in the order its events were written."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from nija import wiring
from nija.adapters.dynamo.outbox_records import outbox_event
from nija.observability import function_tools

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib only)
logger, metrics = tools.logger, tools.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, logger=logger)  # type: ignore[arg-type]


class RetryAfterEarlierFailure(Exception):
    """Not appended: an earlier event of the same chain failed in this batch."""


class Batch:
    """One batch's records, in order; remembers the outbox partitions (chains) that failed in it."""

    def __init__(self) -> None:
        self.failed: set[str] = set()

    def __call__(self, record: DynamoDBRecord) -> None:
        change = record.dynamodb
        if change is None or record.event_name is None:
            return
        chain = str(change.keys.get("pk", ""))  # the outbox partition: one chain's events, in write order
        if chain in self.failed:
            # An earlier event of this chain failed in this batch: this one waits for its retry too,
            # so the chain keeps the order the events were written in.
            raise RetryAfterEarlierFailure(f"an earlier event of {chain} failed in this batch")
        try:
            _append(record)
        except Exception:
            self.failed.add(chain)
            raise


def _append(record: DynamoDBRecord) -> None:
    change = record.dynamodb
    assert change is not None and record.event_name is not None
    event = outbox_event(record.event_name.name, change.keys, change.new_image)
    if event is None:
        return
    logger.append_keys(user_id=event.subject, correlation_id=event.event_id)
    appended = wiring.audit_records().append_once(event)
    if appended is None:
        metrics.add_metric(name="AuditEventsRepeated", unit=MetricUnit.Count, value=1)
    else:
        metrics.add_metric(name="AuditEventsAppended", unit=MetricUnit.Count, value=1)
        logger.debug("appended", extra={"action": event.action, "seq": appended.seq})


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=Batch(), processor=processor, context=context)


handler = tools.wrap(_handle)
