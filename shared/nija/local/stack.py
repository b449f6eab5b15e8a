"""The local stack: moto server, resources from the catalogue, the API under uvicorn, SQS pollers
and schedules calling the real Lambda handlers, a paper broker and a demo user."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from nija.adapters.aws import client
from nija.adapters.paper.broker import PaperBroker
from nija.config import get_settings, reset_settings
from nija.cors import LOCAL_DEV_ORIGINS
from nija.domain.audit_anchor import ANCHOR_EVERY
from nija.domain.models import BrokerName
from nija.local import identity
from nija.local.lambda_runtime import load_function
from nija.local.pollers import FunctionInstance, QueueActivity, Schedule, SqsPoller
from nija.local.provision import create_anchor_bucket, create_vault_key, provision_data_plane
from nija.local.streams import StreamPoller

log = logging.getLogger("nija.local")


@dataclass
class Options:
    host: str = "127.0.0.1"
    api_port: int = 8000
    aws_port: int = 5055
    sync_every_s: float = 2.0
    scan_every_s: float = 300.0
    stage: str = "local"
    sign_in_ip_limit: str | None = None  # per address, "REQUESTS/SECONDS" (nija.ip_limits)
    ip_limit: str | None = None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):  # noqa: S310 - loopback only
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered at {url} within {timeout_s:.0f} s") from None
            time.sleep(0.1)


@contextmanager
def moto_server(host: str, port: int) -> Iterator[str]:
    """A moto server in its own process (its own core), with the local stack's fixes to it
    (nija.local.moto_server), stopped on exit."""
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "nija.local.moto_server", "-H", host, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own session: a terminal's Ctrl-C (the whole process group) reaches only the stack,
        # which stops what uses the server first, then the server (below).
        start_new_session=True,
    )
    endpoint = f"http://{host}:{port}"
    try:
        _wait_http(f"{endpoint}/moto-api/")
        yield endpoint
    finally:
        # Its state is in memory only, lost either way: a server still finishing requests after a
        # moment is killed rather than waited for (Ctrl-C must stop the stack promptly).
        proc.terminate()
        try:
            proc.wait(timeout=1)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def configure_environment(endpoint: str, stage: str) -> None:
    """Point every client at the moto server. Fake credentials: nothing here can reach real AWS."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "us-east-1"),
        "NIJA_AWS_ENDPOINT_URL": endpoint,
        "NIJA_STAGE": stage,
        "NIJA_AUTH_MODE": "verify",
        "NIJA_SCAN_FANOUT": "inline",
        "NIJA_PUSH_MODE": "record",
        "NIJA_EMAIL_MODE": "record",
        "NIJA_REALTIME_PUSH": "local",
        # The web build is served on the API's origin; the Expo dev server (`npx expo start --web`) is not.
        "NIJA_CORS_ORIGINS": ",".join(LOCAL_DEV_ORIGINS),
        "POWERTOOLS_SERVICE_NAME": "nija-local",
        "POWERTOOLS_METRICS_NAMESPACE": "NIJA",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }.items():
        os.environ[key] = value
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    reset_settings()
    from nija import wiring
    from nija.local.websocket import SOCKETS

    wiring.use_local_pusher(SOCKETS)  # the stream processor pushes to the sockets /ws holds open


def provision(endpoint: str) -> tuple[identity.Pool, identity.DemoUser, str]:
    """Tables, queues, the user pool, then the demo users through the real sign-up; the admin with
    TOTP on (the admin API requires it), whose secret is returned for the banner."""
    from nija import wiring

    cat = get_settings().catalogue
    provision_data_plane(cat)
    os.environ["NIJA_VAULT_KEY_ID"] = create_vault_key(cat)
    os.environ["NIJA_AUDIT_ANCHOR_BUCKET"] = create_anchor_bucket(cat)
    pool = identity.create_user_pool(cat)
    os.environ.update(
        NIJA_USER_POOL_ID=pool.pool_id,
        NIJA_USER_POOL_CLIENT_ID=pool.client_id,
        NIJA_JWKS_URL=f"{endpoint}/{pool.pool_id}/.well-known/jwks.json",
        NIJA_AUTO_CONFIRM_SIGNUP="true",
    )
    reset_settings()
    accounts = wiring.accounts()
    demo = accounts.sign_up(identity.DEMO_EMAIL, identity.DEMO_PASSWORD)
    accounts.sign_up(identity.ADMIN_EMAIL, identity.ADMIN_PASSWORD)
    identity.make_admin(pool, identity.ADMIN_EMAIL)
    admin_totp = identity.enrol_totp(pool, identity.ADMIN_EMAIL, identity.ADMIN_PASSWORD)
    paper = wiring.broker(BrokerName.PAPER)
    assert isinstance(paper, PaperBroker)
    paper.seed_balances(demo.user_id, identity.DEMO_BALANCES)
    identity.connect_paper(demo.user_id)
    return pool, identity.DemoUser(identity.DEMO_EMAIL, identity.DEMO_PASSWORD, demo.user_id), admin_totp


def start_event_sources(
    stop: threading.Event, sync_every_s: float, concurrency: int = 4, scan_every_s: float = 300.0
) -> list[threading.Thread]:
    """Per broker, `concurrency` executor instances polling its queue, as Lambda runs one instance per
    active message group (SQS FIFO never hands two of them the same user's messages at once), a
    sync schedule, and the strategy scan's schedule (its shards run in process: NIJA_SCAN_FANOUT).
    Each instance logs with its own keys, as its own process would (nija.local.log_context)."""
    cat = get_settings().catalogue
    activity = QueueActivity()
    activity.watch(client("sqs"))
    threads: list[threading.Thread] = []
    for broker, queue in cat.queues.items():
        fn = cat.executor(broker)
        for n in range(concurrency):
            module = load_function("executor", f"{broker.value}-{n}")
            instance = FunctionInstance(fn.name, module.handler, fn.timeout_s, get_settings().region)
            threads.append(SqsPoller(queue.name, instance, stop, activity))
            if n == 0:
                threads.append(Schedule(cat.sync_rule_name(broker), instance, sync_every_s, stop))
        scan = cat.strategy_scan(broker)
        scanner = FunctionInstance(
            scan.name,
            load_function("strategy_scan", broker.value).handler,
            scan.timeout_s,
            get_settings().region,
        )
        threads.append(Schedule(cat.scan_rule_name(broker), scanner, scan_every_s, stop))
    # The state table's stream feeds the stream processor, filtered as the CDK event source is.
    from nija.adapters.dynamo.stream_records import streamed

    processor = cat.stream_processor
    threads.append(
        StreamPoller(
            cat.state_table.name,
            FunctionInstance(
                processor.name,
                load_function("stream_processor").handler,
                processor.timeout_s,
                get_settings().region,
            ),
            stop,
            keep=streamed,
        )
    )
    # ... and its audit outbox feeds the audit writer, which retries until each event is in its chain.
    threads.append(audit_writer_poller(stop))
    # The chains' heads, anchored on the hour as in the cloud (nija audit anchor: now).
    anchor = cat.audit_anchor
    anchoring = FunctionInstance(
        anchor.name, load_function("audit_anchor").handler, anchor.timeout_s, get_settings().region
    )
    threads.append(Schedule(cat.audit_anchor_rule_name, anchoring, ANCHOR_EVERY.total_seconds(), stop))
    for t in threads:
        t.start()
    return threads


def add_websocket(app: Any) -> None:
    """The WebSocket API on the uvicorn app (/ws), calling the realtime handler like API Gateway."""
    from nija.local.websocket import websocket_route

    fn = get_settings().catalogue.realtime
    instance = FunctionInstance(
        fn.name, load_function("realtime").handler, fn.timeout_s, get_settings().region
    )
    app.router.routes.append(websocket_route(instance.invoke))


def audit_writer_poller(
    stop: threading.Event, instance: str = "", retries: int | None = None
) -> StreamPoller:
    """The audit writer on the state table's stream, filtered to the audit outbox as the CDK's event
    source is, retrying a failed batch until it goes through (start it, or `drain()` it in a test)."""
    from nija.adapters.dynamo.outbox_records import is_outbox

    writer = get_settings().catalogue.audit_writer
    function = FunctionInstance(
        writer.name, load_function("audit_writer", instance).handler, writer.timeout_s, get_settings().region
    )
    table = get_settings().catalogue.state_table.name
    return StreamPoller(table, function, stop, keep=is_outbox, retries=retries, idle_s=1.0)
