"""What Lambda's event sources do, done locally: poll SQS and call the handler with the same event,
delete what succeeded, leave what failed to come back; and fire schedules like EventBridge rules."""

from __future__ import annotations

import contextvars
import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from nija.adapters.aws import client, queue_url
from nija.local.lambda_runtime import LambdaContext, queue_arn, scheduled_event, sqs_event

log = logging.getLogger("nija.local")

Handler = Callable[[dict[str, Any], Any], Any]


class FunctionInstance:
    """One warm Lambda instance: handles one event at a time, like the real thing, in an execution
    context of its own (as a Lambda instance is a process of its own): whatever it keeps in context
    variables, such as its log keys (nija.local.log_context), carries from one of its invocations to
    the next, and never to its caller's thread or another instance."""

    def __init__(self, name: str, handler: Handler, timeout_s: int, region: str) -> None:
        self.name = name
        self.handler = handler
        self.timeout_s = timeout_s
        self.region = region
        self._lock = threading.Lock()
        self._context = contextvars.Context()

    def invoke(self, event: dict[str, Any]) -> Any:
        with self._lock:
            context = LambdaContext(self.name, timeout_s=self.timeout_s, region=self.region)
            return self._context.run(self.handler, event, context)


_CHANGES = ("SendMessage", "SendMessageBatch", "DeleteMessage", "DeleteMessageBatch")


class QueueActivity:
    """Wakes a queue's pollers when this process sends to it or deletes from it (a delete can free a
    FIFO message group). Lambda's pollers long-poll; moto's long poll spins for its whole wait on a
    FIFO queue whose messages all sit behind in-flight messages of their groups (a full core of the
    moto server here), so the local pollers receive without waiting and sleep until activity, or
    `idle_s` for anything this process did not see (another process's sends, visibility timeouts)."""

    def __init__(self, idle_s: float = 1.0) -> None:
        self.idle_s = idle_s
        self._changed = threading.Condition()
        self._versions: defaultdict[str, int] = defaultdict(int)

    def watch(self, sqs: Any) -> None:
        """Follow the calls made through this SQS client (botocore's event hooks)."""
        for op in _CHANGES:
            sqs.meta.events.register(f"before-parameter-build.sqs.{op}", self._note_queue)
            sqs.meta.events.register(f"after-call.sqs.{op}", self._changed_queue)

    @staticmethod
    def _note_queue(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["nija_queue_url"] = params.get("QueueUrl")

    def _changed_queue(self, context: dict[str, Any], **_: Any) -> None:
        if url := context.get("nija_queue_url"):
            self.bump(url)

    def bump(self, url: str) -> None:
        with self._changed:
            self._versions[url] += 1
            self._changed.notify_all()

    def version(self, url: str) -> int:
        with self._changed:
            return self._versions[url]

    def wait(self, url: str, seen: int, stop: threading.Event) -> None:
        """Until the queue changed after `seen` (a version read before the empty receive)."""
        with self._changed:
            self._changed.wait_for(lambda: self._versions[url] != seen or stop.is_set(), self.idle_s)


class SqsPoller(threading.Thread):
    """An SQS event source mapping: batch size 10, ReportBatchItemFailures."""

    def __init__(
        self,
        queue_name: str,
        function: FunctionInstance,
        stop: threading.Event,
        activity: QueueActivity | None = None,
        retry_delay_s: int = 5,
    ) -> None:
        super().__init__(name=f"sqs:{queue_name}", daemon=True)
        self.queue_name = queue_name
        self.function = function
        self.stop = stop
        self.activity = activity or QueueActivity()
        self.retry_delay_s = retry_delay_s
        self.processed = 0

    def run(self) -> None:
        url = queue_url(self.queue_name)
        arn = queue_arn(self.function.region, self.queue_name)
        sqs = client("sqs")
        while not self.stop.is_set():
            seen = self.activity.version(url)
            try:
                messages = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
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
            else:
                self.activity.wait(url, seen, self.stop)

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
                if self.stop.is_set():
                    return  # stopping (Ctrl-C): the moto server may be gone already
                log.exception("schedule %s: %s failed", self.rule_name, self.function.name)
