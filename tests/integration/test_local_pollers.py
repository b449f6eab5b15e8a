"""The local stack's SQS pollers wake on this process's own sends and deletes (QueueActivity), for
the queue concerned only, instead of long-polling moto."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from nija.local.pollers import QueueActivity


@pytest.fixture
def sqs() -> Iterator[Any]:
    from moto import mock_aws

    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


def _fifo(sqs: Any, name: str) -> str:
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def test_sends_and_deletes_move_only_their_queue(sqs: Any) -> None:
    activity = QueueActivity()
    activity.watch(sqs)
    a, b = _fifo(sqs, "a.fifo"), _fifo(sqs, "b.fifo")
    sqs.send_message(QueueUrl=a, MessageBody="1", MessageGroupId="u")
    assert (activity.version(a), activity.version(b)) == (1, 0)
    [m] = sqs.receive_message(QueueUrl=a)["Messages"]
    assert activity.version(a) == 1  # receiving changes nothing anyone waits for
    sqs.delete_message(QueueUrl=a, ReceiptHandle=m["ReceiptHandle"])
    sqs.send_message_batch(QueueUrl=b, Entries=[{"Id": "1", "MessageBody": "x", "MessageGroupId": "u"}])
    assert (activity.version(a), activity.version(b)) == (2, 1)


def test_a_waiting_poller_wakes_on_a_send(sqs: Any) -> None:
    activity = QueueActivity(idle_s=600)
    activity.watch(sqs)
    url = _fifo(sqs, "a.fifo")
    seen = activity.version(url)
    stop = threading.Event()
    waiter = threading.Thread(target=activity.wait, args=(url, seen, stop))
    waiter.start()
    sqs.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="u")
    waiter.join(timeout=60)
    stopped = waiter.is_alive()
    stop.set()
    activity.bump(url)
    assert not stopped


def test_a_change_before_the_wait_is_not_missed(sqs: Any) -> None:
    activity = QueueActivity(idle_s=600)
    activity.watch(sqs)
    url = _fifo(sqs, "a.fifo")
    seen = activity.version(url)
    sqs.send_message(QueueUrl=url, MessageBody="1", MessageGroupId="u")  # between receive and wait
    activity.wait(url, seen, threading.Event())  # returns at once: the version moved
