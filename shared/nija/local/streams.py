"""What Lambda's DynamoDB stream event source does, done locally: read the table's stream on the moto
server (DescribeStream, GetShardIterator, GetRecords), drop the records the event source's filters
would drop, and call the handler with Lambda's event shape; a batch whose handler reports failures
is retried from the first failed record (ReportBatchItemFailures), up to `retries` times."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from nija.adapters.aws import client
from nija.local.pollers import FunctionInstance

log = logging.getLogger("nija.local")

Filter = Callable[[dict[str, Any]], bool]
_deserializer = TypeDeserializer()


def plain_keys(record: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in record["dynamodb"].get("Keys", {}).items()}


def stream_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """The event Lambda's DynamoDB stream source builds from GetRecords results."""
    out = []
    for r in records:
        change = dict(r["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if created is not None and not isinstance(created, int | float):
            change["ApproximateCreationDateTime"] = int(created.timestamp())  # boto3 parses it to datetime
        out.append(
            {
                "eventID": r["eventID"],
                "eventName": r["eventName"],
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": region,
                "dynamodb": change,
                "eventSourceARN": stream_arn,
            }
        )
    return {"Records": out}


class StreamPoller(threading.Thread):
    """A DynamoDB stream event source mapping: batch size `batch_size`, ReportBatchItemFailures,
    `retries` retries of a failing batch, then its records are skipped (logged), as Lambda does
    after MaximumRetryAttempts without an on-failure destination; `retries=None` retries until the
    batch goes through (the audit writer's mapping: its records are never skipped)."""

    def __init__(
        self,
        table_name: str,
        function: FunctionInstance,
        stop: threading.Event,
        *,
        keep: Filter | None = None,
        batch_size: int = 100,
        idle_s: float = 0.05,
        retries: int | None = 2,
        start: str = "TRIM_HORIZON",
    ) -> None:
        super().__init__(name=f"stream:{table_name}:{function.name}", daemon=True)
        self.table_name = table_name
        self.function = function
        self.stop = stop
        self.keep = keep
        self.batch_size = batch_size
        self.idle_s = idle_s
        self.retries = retries
        self.start_at = start
        self.delivered = 0
        self.skipped = 0
        self._iterators: dict[str, str] | None = None
        self._arn = ""
        self._streams: Any = None

    def _open(self) -> dict[str, str]:
        if self._iterators is None:
            # The client of the settings at start, kept: a thread that outlives a settings change
            # (a test's) goes on reading the stream it began with.
            self._streams = streams = client("dynamodbstreams")
            self._arn = client("dynamodb").describe_table(TableName=self.table_name)["Table"][
                "LatestStreamArn"
            ]
            self._iterators = {
                shard["ShardId"]: streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType=self.start_at
                )["ShardIterator"]
                for shard in streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]
            }
        return self._iterators

    def poll(self) -> bool:
        """Read each shard once and deliver what the filter keeps; whether anything was read."""
        iterators, busy = self._open(), False
        streams = self._streams
        for shard_id, iterator in list(iterators.items()):
            try:
                page = streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            except Exception:
                if not self.stop.is_set():
                    log.exception("reading the stream of %s failed", self.table_name)
                    self.stop.wait(1)
                continue
            if page.get("NextShardIterator"):
                iterators[shard_id] = page["NextShardIterator"]
            else:
                del iterators[shard_id]  # a closed shard, read to its end
            records = page.get("Records", [])
            busy = busy or bool(records)
            kept = [r for r in records if self.keep is None or self.keep(plain_keys(r))]
            if kept:
                self._deliver(kept, self._arn)
        return busy

    def drain(self) -> None:
        """Deliver everything the stream holds now, in this thread (tests: no waiting on a poller)."""
        while self.poll():
            pass

    def run(self) -> None:
        while not self.stop.is_set():
            if not self.poll():
                self.stop.wait(self.idle_s)

    def _deliver(self, records: list[dict[str, Any]], arn: str) -> None:
        attempt = 0
        while self.retries is None or attempt <= self.retries:
            try:
                result = self.function.invoke(stream_event(records, arn, self.function.region)) or {}
                failed = [f["itemIdentifier"] for f in result.get("batchItemFailures", [])]
            except Exception:
                log.exception("%s failed on a batch of %d records", self.function.name, len(records))
                failed = [records[0]["dynamodb"]["SequenceNumber"]]
            if not failed:
                self.delivered += len(records)
                return
            # Lambda checkpoints before the lowest failed sequence number and retries from there.
            first = min(int(s) for s in failed)
            self.delivered += sum(1 for r in records if int(r["dynamodb"]["SequenceNumber"]) < first)
            records = [r for r in records if int(r["dynamodb"]["SequenceNumber"]) >= first]
            attempt += 1
            if self.retries is None and self.stop.wait(min(0.1 * 2**attempt, 5)):
                return  # stopping: the records stay in the stream for the next start
        log.error(
            "%s: skipped %d stream records after %d retries", self.function.name, len(records), self.retries
        )
        self.skipped += len(records)
