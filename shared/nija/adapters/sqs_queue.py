"""The order queue port over SQS FIFO: group by user, deduplicate by intent id."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError

from nija.adapters.aws import client, queue_url
from nija.catalogue import Catalogue
from nija.domain.messages import CancelOrder, PlaceOrder

Message = PlaceOrder | CancelOrder
SQS_BATCH = 10


class SqsOrderQueue:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def _url(self, message: Message) -> str:
        return queue_url(self._queue_name(message))

    def _queue_name(self, message: Message) -> str:
        broker = message.intent.broker if isinstance(message, PlaceOrder) else message.broker
        return self._catalogue.queue(broker).name

    @staticmethod
    def _entry(message: Message) -> dict[str, str]:
        return {
            "MessageBody": message.model_dump_json(),
            "MessageGroupId": message.user_id,
            "MessageDeduplicationId": message.dedup_id,
        }

    def send(self, message: Message) -> None:
        client("sqs").send_message(QueueUrl=self._url(message), **self._entry(message))

    def send_batch(self, messages: Sequence[Message]) -> list[tuple[Message, str]]:
        """Send in batches of 10 per queue, every batch whatever became of the others; returns the
        messages not sent with SQS's error code: the entries it refused, and all of a batch whose
        request failed (after botocore's retries) or whose queue could not be found."""
        by_queue: dict[str, list[Message]] = {}
        for m in messages:
            by_queue.setdefault(self._queue_name(m), []).append(m)
        unsent: list[tuple[Message, str]] = []
        for name, group in by_queue.items():
            for start in range(0, len(group), SQS_BATCH):
                chunk = group[start : start + SQS_BATCH]
                entries = [{"Id": str(i), **self._entry(m)} for i, m in enumerate(chunk)]
                try:
                    reply = client("sqs").send_message_batch(QueueUrl=queue_url(name), Entries=entries)
                except (BotoCoreError, ClientError) as exc:
                    unsent += [(m, _error_code(exc)) for m in chunk]
                    continue
                unsent += [
                    (chunk[int(f["Id"])], str(f.get("Code", "error"))) for f in reply.get("Failed", [])
                ]
        return unsent


def _error_code(exc: BotoCoreError | ClientError) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or type(exc).__name__)
    return type(exc).__name__


def quarantine(
    catalogue: Catalogue, broker: str, body: str, group_id: str, dedup_id: str, reason: str
) -> None:
    """Move a message that can never be processed (an invalid body) straight to the broker's DLQ,
    with the reason attached, so it is kept for operators and blocks nobody's FIFO group."""
    client("sqs").send_message(
        QueueUrl=queue_url(catalogue.queue(broker).dlq_name),
        MessageBody=body,
        MessageGroupId=group_id,
        MessageDeduplicationId=dedup_id,
        MessageAttributes={"nija_error": {"DataType": "String", "StringValue": reason[:1000]}},
    )


def queue_depths(catalogue: Catalogue) -> list[dict[str, object]]:
    """Messages waiting and in flight on every broker's queue and DLQ."""
    sqs = client("sqs")
    depths: list[dict[str, object]] = []
    for q in catalogue.queues.values():
        for name in (q.name, q.dlq_name):
            attrs = sqs.get_queue_attributes(
                QueueUrl=queue_url(name),
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            depths.append(
                {
                    "queue": name,
                    "visible": int(attrs.get("ApproximateNumberOfMessages", 0)),
                    "in_flight": int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
                }
            )
    return depths


def redrive(catalogue: Catalogue, broker: str, limit: int = 1000) -> int:
    """Move messages from a broker's DLQ back to its queue (same FIFO group, in order); returns how
    many moved. The dedup id gets a suffix: SQS would drop a resend inside its 5-minute window."""
    sqs = client("sqs")
    queue = catalogue.queue(broker)
    source, dlq = queue_url(queue.name), queue_url(queue.dlq_name)
    moved = 0
    while moved < limit:
        batch = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=min(10, limit - moved),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not batch:
            break
        for m in batch:
            attrs = m.get("Attributes", {})
            sqs.send_message(
                QueueUrl=source,
                MessageBody=m["Body"],
                MessageGroupId=attrs.get("MessageGroupId", "redrive"),
                MessageDeduplicationId=f"{attrs.get('MessageDeduplicationId', m['MessageId'])[:100]}-r{m['MessageId'][:20]}",
            )
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
            moved += 1
    return moved
