"""stream_processor: the state table's DynamoDB stream, a batch at a time (Powertools BatchProcessor,
partial failures reported by sequence number). Each record that is a user's order, fill, position,
kill switch or risk refusal (nija.domain.realtime; its keys read by nija.adapters.dynamo.stream_records)
is pushed to that user's WebSocket connections only; a connection API Gateway reports gone is deleted.
Fills, refusals and a tripped daily loss limit also notify the user's devices, as they chose
(nija.logic.notify). Fills and equity snapshots become time-series points (nija.logic.telemetry),
written once per batch through the TimeSeries port."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from botocore.exceptions import BotoCoreError, ClientError

from nija import wiring
from nija.adapters.dynamo.stream_records import connection_change, stream_points, user_event
from nija.domain.errors import NijaError
from nija.domain.models import utcnow
from nija.domain.realtime import UserEvent
from nija.observability import function_tools
from nija.ports.timeseries import TimePoint

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib: Expo's push API)
logger, metrics = tools.logger, tools.metrics
processor = BatchProcessor(event_type=EventType.DynamoDBStreams, logger=logger)  # type: ignore[arg-type]


class Batch:
    """One batch's records: each pushed as it comes; its notifications and time-series points kept
    for one send and one write at the batch's end."""

    def __init__(self) -> None:
        self.points: list[TimePoint] = []
        self.updates: list[UserEvent] = []

    def __call__(self, record: DynamoDBRecord) -> None:
        change = record.dynamodb
        if change is None or record.event_name is None:
            return
        name = record.event_name.name
        if (opened_or_closed := connection_change(name, change.keys)) is not None:
            wiring.realtime().connection_changed(opened_or_closed)
            return
        update = user_event(name, change.keys, change.new_image, change.old_image)
        if update is not None:
            _push(update, record.event_id)
            self.updates.append(update)
        # After the push: a fill's fill_to_push latency ends here.
        self.points.extend(stream_points(name, change.keys, change.new_image, utcnow()))


def _push(update: UserEvent, correlation_id: str | None) -> None:
    logger.append_keys(user_id=update.user_id, correlation_id=correlation_id)
    delivery = wiring.realtime().push(update)
    logger.debug(
        "pushed",
        extra={"user_id": update.user_id, "type": update.type, "sent": delivery.sent, "gone": delivery.gone},
    )
    metrics.add_metric(name="RealtimeEventsSent", unit=MetricUnit.Count, value=delivery.sent)
    if delivery.gone:
        metrics.add_metric(name="RealtimeConnectionsGone", unit=MetricUnit.Count, value=delivery.gone)


def _notify(updates: list[UserEvent]) -> None:
    """The batch's push notifications, once its WebSocket pushes are out: one read of each user's
    devices and choices, one send for them all. Best effort: a push service outage must not replay
    the stream (and the WebSocket pushes)."""
    if not updates:
        return
    try:
        pushed = wiring.notifier().notify(updates)
    except NijaError as exc:
        logger.warning("push notifications failed", extra={"events": len(updates), "error": exc.code})
        metrics.add_metric(name="PushNotificationsFailed", unit=MetricUnit.Count, value=1)
    else:
        if pushed:
            metrics.add_metric(name="PushNotificationsSent", unit=MetricUnit.Count, value=pushed)


def _write_points(points: list[TimePoint]) -> None:
    """The batch's time-series points, in writes of at most 100 (Timestream when the stack has it,
    else nothing). Best effort, as the pushes: analytics never replay the stream."""
    if not points:
        return
    try:
        written = wiring.timeseries().write(points)
    except (NijaError, BotoCoreError, ClientError) as exc:
        logger.warning("time-series write failed", extra={"points": len(points), "error": type(exc).__name__})
        metrics.add_metric(name="TimeSeriesWriteFailed", unit=MetricUnit.Count, value=len(points))
    else:
        if written:
            metrics.add_metric(name="TimeSeriesPointsWritten", unit=MetricUnit.Count, value=written)


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    batch = Batch()
    result = process_partial_response(event=event, record_handler=batch, processor=processor, context=context)
    _notify(batch.updates)
    _write_points(batch.points)
    return result


handler = tools.wrap(_handle)
