"""The order queue port over SQS FIFO: group by user, deduplicate by intent id."""

from __future__ import annotations

from collections.abc import Sequence

from nija.adapters.aws import client, queue_url
from nija.catalogue import Catalogue
from nija.domain.errors import ServiceUnavailable
from nija.domain.messages import CancelOrder, PlaceOrder

Message = PlaceOrder | CancelOrder
SQS_BATCH = 10


class SqsOrderQueue:
    def __init__(self, catalogue: Catalogue) -> None:
        self._catalogue = catalogue

    def _url(self, message: Message) -> str:
        broker = message.intent.broker if isinstance(message, PlaceOrder) else message.broker
        return queue_url(self._catalogue.queue(broker).name)

    @staticmethod
    def _entry(message: Message) -> dict[str, str]:
        return {
            "MessageBody": message.model_dump_json(),
            "MessageGroupId": message.user_id,
            "MessageDeduplicationId": message.dedup_id,
        }

    def send(self, message: Message) -> None:
        client("sqs").send_message(QueueUrl=self._url(message), **self._entry(message))

    def send_batch(self, messages: Sequence[Message]) -> None:
        """Send in batches of 10 per queue; any entry SQS refuses raises, naming its id."""
        by_url: dict[str, list[Message]] = {}
        for m in messages:
            by_url.setdefault(self._url(m), []).append(m)
        sqs = client("sqs")
        for url, group in by_url.items():
            for start in range(0, len(group), SQS_BATCH):
                chunk = group[start : start + SQS_BATCH]
                entries = [{"Id": str(i), **self._entry(m)} for i, m in enumerate(chunk)]
                failed = sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
                if failed:
                    ids = ", ".join(chunk[int(f["Id"])].dedup_id for f in failed)
                    raise ServiceUnavailable(f"the order queue refused {len(failed)} message(s): {ids}")


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
