"""executor: one code base, one deployment per broker.

Two triggers: the broker's orders-<broker>.fifo queue (SQS batches, one user's failure never blocks
another user's messages) and a schedule that syncs open orders with the broker.
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from nija import wiring
from nija.adapters.sqs_queue import quarantine
from nija.config import get_settings
from nija.domain.messages import parse_order_message
from nija.domain.models import BrokerName
from nija.observability import function_tools

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib only)
logger, metrics = tools.logger, tools.metrics

processor = SqsFifoPartialProcessor(skip_group_on_error=True, logger=logger)  # type: ignore[arg-type]


def _quarantine(record: SQSRecord, broker: BrokerName, reason: str) -> None:
    logger.error("quarantined a message", extra={"message_id": record.message_id, "reason": reason})
    metrics.add_metric(name="QuarantinedMessages", unit=MetricUnit.Count, value=1)
    group = record.attributes.message_group_id or "quarantine"
    quarantine(get_settings().catalogue, broker, record.body, group, record.message_id, reason)


def record_handler(record: SQSRecord) -> None:
    # Every line of this record, quarantine included, names its user (the message group is the user)
    # and its message; once parsed, the correlation id becomes the intent's id (the deduplication id).
    logger.append_keys(
        user_id=record.attributes.message_group_id or "unknown", correlation_id=record.message_id
    )
    broker = get_settings().catalogue.broker_of(record.event_source_arn)
    try:
        message = parse_order_message(record.body)
    except ValidationError as exc:
        where = exc.errors()[0]["loc"]
        _quarantine(record, broker, f"invalid order message: {exc.error_count()} error(s), first at {where}")
        return
    if message.broker is not broker:
        _quarantine(record, broker, f"message for {message.broker.value} arrived at the {broker.value} queue")
        return
    logger.append_keys(user_id=message.user_id, correlation_id=message.dedup_id)
    started = time.time()
    order = wiring.executor(broker).handle(message)
    if order is not None:
        # In the queue: from SendMessage to this instance taking it up (redeliveries included).
        queued_ms = started * 1000 - int(record.attributes.sent_timestamp)
        handled_ms = (time.time() - started) * 1000
        logger.info(
            "order processed",
            extra={
                "order_id": order.order_id,
                "status": order.status.value,
                "queued_ms": round(queued_ms),
                "handled_ms": round(handled_ms),
            },
        )
        metrics.add_metric(name="OrdersProcessed", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="OrderQueueTime", unit=MetricUnit.Milliseconds, value=queued_ms)
        metrics.add_metric(name="OrderHandlingTime", unit=MetricUnit.Milliseconds, value=handled_ms)


def _sync(event: dict[str, Any]) -> dict[str, Any]:
    """The schedule: audit and apply how open orders differ at the broker, then compare balances
    with our positions."""
    broker = get_settings().catalogue.broker_of(event["resources"][0])
    # Platform work, no one user: the sync's lines say so, and carry the schedule event's id.
    logger.append_keys(user_id="system", correlation_id=f"sync:{broker.value}:{event.get('id', '')}")
    report = wiring.broker_sync(broker).run()
    metrics.add_metric(name="OrdersSynced", unit=MetricUnit.Count, value=report.changed)
    metrics.add_metric(name="OrderDifferences", unit=MetricUnit.Count, value=report.order_differences)
    metrics.add_metric(name="ReconciliationDifferences", unit=MetricUnit.Count, value=report.differences)
    return report.as_dict()


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("source") == "aws.events":
        return _sync(event)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


handler = tools.wrap(_handle)
