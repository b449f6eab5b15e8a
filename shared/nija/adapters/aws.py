"""Cached boto3 clients. Built on first use so that tests can start moto before any client exists."""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from nija.config import get_settings, on_reset

# A pool per client; the local stack shares one client between its API threads and pollers.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=2,
    read_timeout=10,
    max_pool_connections=32,
)


_lock = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    # One session for every client: each new session loads botocore's endpoint data again.
    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    settings = get_settings()
    with _lock:  # creating clients from one session is not thread safe; using them is
        return _session().client(
            service,  # type: ignore[call-overload]
            region_name=settings.region,
            endpoint_url=settings.aws_endpoint_url,
            config=_CONFIG,
        )


@cache
def queue_url(queue_name: str) -> str:
    return client("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]


@on_reset
def reset_clients() -> None:
    client.cache_clear()
    queue_url.cache_clear()
    _session.cache_clear()
