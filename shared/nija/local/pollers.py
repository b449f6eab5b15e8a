"""What Lambda's event sources do, done locally: poll SQS and call the handler with the same event,
delete what succeeded, leave what failed to come back; and fire schedules like EventBridge rules."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from nija.adapters.aws import client, queue_url
from nija.local.lambda_runtime import LambdaContext, queue_arn, scheduled_event, sqs_event

log = logging.getLogger("nija.local")

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionInstance:
    """One warm Lambda instance: handles one event at a time, like the real thing."""

    def __init__(self, name: str, handler: Handler, timeout_s: int, region: str) -> None:
        self.name = name
        self.handler = handler
        self.timeout_s = timeout_s
        self.region = region
        self._lock = threading.Lock()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            return self.handler(event, LambdaContext(self.name, timeout_s=self.timeout_s, region=self.region))


class SqsPoller(threading.Thread):
    """An SQS event source mapping: batch size 10, ReportBatchItemFailures."""

    def __init__(
        self, queue_name: str, function: FunctionInstance, stop: threading.Event, retry_delay_s: int = 5
    ) -> None:
        super().__init__(name=f"sqs:{queue_name}", daemon=True)
        self.queue_name = queue_name
        self.function = function
        self.stop = stop
        self.retry_delay_s = retry_delay_s
        self.processed = 0

    def run(self) -> None:
        url = queue_url(self.queue_name)
        arn = queue_arn(self.function.region, self.queue_name)
        sqs = client("sqs")
        while not self.stop.is_set():
            try:
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    WaitTimeSeconds=1,
                    AttributeNames=["All"],
                    MessageAttributeNames=["All"],
                ).get("Messages", [])
            except Exception:
                if not self.stop.is_set():
                    log.exception("polling %s failed", self.queue_name)
                    self.stop.wait(1)
                continue
            if messages:
                self._deliver(sqs, url, arn, messages)

    def _deliver(self, sqs: Any, url: str, arn: str, messages: list[dict[str, Any]]) -> None:
        try:
            result = self.function.invoke(sqs_event(messages, arn, self.function.region)) or {}
            failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        except Exception:
            log.exception(
                "%s failed on a batch of %d; every message will come back", self.function.name, len(messages)
            )
            failed = {m["MessageId"] for m in messages}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
            self.processed += len(done)
        for m in messages:
            if m["MessageId"] in failed:
                # Lambda leaves a failed message for its visibility timeout; locally we shorten the wait.
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=self.retry_delay_s
                )


class Schedule(threading.Thread):
    """An EventBridge schedule rule targeting a function."""

    def __init__(
        self, rule_name: str, function: FunctionInstance, every_s: float, stop: threading.Event
    ) -> None:
        super().__init__(name=f"rule:{rule_name}", daemon=True)
        self.rule_name = rule_name
        self.function = function
        self.every_s = every_s
        self.stop = stop

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            try:
                self.function.invoke(scheduled_event(self.rule_name, self.function.region))
            except Exception:
                log.exception("schedule %s: %s failed", self.rule_name, self.function.name)
