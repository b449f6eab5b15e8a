"""Each log line names its own function, user and correlation id in the local stack, where every
handler runs on a thread of one process (in the cloud each function has its own process). Run in a
subprocess: the fix is installed process-wide, as the local stack installs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

SCENARIO = textwrap.dedent(
    """
    import io, json, os, sys, threading
    os.environ.update(POWERTOOLS_SERVICE_NAME="nija-local", NIJA_STAGE="local", NIJA_AUTH_MODE="gateway")
    if sys.argv[1] == "fixed":
        from nija.local import log_context
        log_context.install()
    import logging
    from aws_lambda_powertools import Logger
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from nija.api.request_log import RequestLogKeys
    from nija.local.lambda_runtime import LambdaContext

    out = io.StringIO()
    logger = Logger(logger_handler=logging.StreamHandler(out))
    both = threading.Barrier(2)

    def handler(user):
        def handle(event, context):
            logger.append_keys(user_id=user, correlation_id=f"corr-{user}")
            both.wait()  # the other handler appends its keys meanwhile
            logger.info("handled")
            both.wait()
        return logger.inject_lambda_context(clear_state=True)(handle)

    def run(name, user):
        handler(user)({}, LambdaContext(name))

    threads = [threading.Thread(target=run, args=(f"fn-{u}", u)) for u in ("alice", "bob")]
    for t in threads: t.start()
    for t in threads: t.join()

    app = FastAPI()

    @app.post("/v1/orders")
    def place():
        logger.info("api line")
        return {}

    class Authorizer:  # what the token check sets
        def __init__(self, app): self.app = app
        async def __call__(self, scope, receive, send):
            user = dict(scope.get("headers", [])).get(b"x-user", b"").decode()
            if user:
                scope["aws.event"] = {"requestContext": {"authorizer": {"user_id": user}}}
            await self.app(scope, receive, send)

    app.add_middleware(RequestLogKeys)
    app.add_middleware(Authorizer)
    client = TestClient(app)
    logger.append_keys(function_name="nija-local-executor-paper", user_id="system")  # a poller's
    client.post("/v1/orders", headers={"x-user": "carol"})
    client.post("/v1/orders", headers={"x-user": "dave"})
    print(out.getvalue())
    """
)


def _lines(mode: str) -> list[dict[str, str]]:
    done = subprocess.run(
        [sys.executable, "-c", SCENARIO, mode], capture_output=True, text=True, timeout=120, check=True
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_each_thread_and_request_logs_its_own_keys() -> None:
    lines = _lines("fixed")
    handled = {
        (x["function_name"], x["user_id"], x["correlation_id"]) for x in lines if x["message"] == "handled"
    }
    assert handled == {("fn-alice", "alice", "corr-alice"), ("fn-bob", "bob", "corr-bob")}
    api = [x for x in lines if x["message"] == "api line"]
    assert [(x["function_name"], x["user_id"]) for x in api] == [
        ("nija-local-trading-api", "carol"),
        ("nija-local-trading-api", "dave"),
    ]
    assert len({x["correlation_id"] for x in api}) == 2


def test_without_the_fix_the_keys_leak() -> None:
    """The defect as it was: one thread's keys on the other's lines (proves the scenario can fail)."""
    lines = _lines("as-shipped")
    handled = {(x["function_name"], x["user_id"]) for x in lines if x["message"] == "handled"}
    assert handled != {("fn-alice", "alice"), ("fn-bob", "bob")}


# The local stack's pieces on moto: the executor handler through its SQS poller, held in the middle
# of its invocation while the realtime handler refuses a socket through the local WebSocket route and
# two API requests follow on the worker thread that ran it (one worker: anyio reuses the idle one).
STACK = textwrap.dedent(
    """
    import io, json, logging, os, sys, threading
    os.environ.update(POWERTOOLS_SERVICE_NAME="nija-local", NIJA_STAGE="test", NIJA_AUTH_MODE="gateway")
    from nija.local import log_context
    log_context.install()
    from aws_lambda_powertools import Logger
    from fastapi import FastAPI
    from fastapi.testclient import TestClient
    from moto import mock_aws
    from nija import wiring
    from nija.adapters.paper.broker import PaperBroker
    from nija.api.request_log import RequestLogKeys
    from nija.config import get_settings, reset_settings
    from nija.domain.models import BrokerName, Principal, User
    from nija.local import identity, moto_server
    from nija.local.lambda_runtime import load_function
    from nija.local.pollers import FunctionInstance, SqsPoller
    from nija.local.provision import create_vault_key, provision_data_plane
    from nija.local.websocket import websocket_route
    from nija.logic.orders import OrderRequest, place_order

    ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"
    moto_server.install()
    reset_settings()
    with mock_aws():
        cat = get_settings().catalogue
        provision_data_plane(cat)
        os.environ["NIJA_VAULT_KEY_ID"] = create_vault_key(cat)
        reset_settings()
        wiring.users().put_user(User(user_id=ALICE, email="alice@example.test"))
        paper = wiring.broker(BrokerName.PAPER)
        paper.seed_balances(ALICE, {"USD": 100000})
        identity.connect_paper(ALICE)
        request = OrderRequest(broker="paper", symbol="BTC/USD", side="buy", quantity="0.01")
        order = place_order(Principal(user_id=ALICE), request, "log-keys", wiring.orders(), wiring.order_queue())

        executor = load_function("executor", "log-keys").handler
        realtime_handler = load_function("realtime", "log-keys").handler
        out = io.StringIO()  # the service's lines, beside its stdout handler (EMF blobs print there)
        (powertools,) = logging.getLogger("nija-local").handlers
        mine = logging.StreamHandler(out)
        mine.setFormatter(powertools.formatter)
        logging.getLogger("nija-local").addHandler(mine)
        inside, resume, stop = threading.Event(), threading.Event(), threading.Event()

        def held(event, context):  # the executor's invocation stays open while the others log
            reply = executor(event, context)
            inside.set()
            resume.wait(120)
            return reply

        fn = cat.executor("paper")
        poller = SqsPoller(cat.queue("paper").name, FunctionInstance(fn.name, held, 30, "us-east-1"), stop)
        poller.start()
        assert inside.wait(120), "the executor never ran"

        realtime = FunctionInstance(cat.realtime.name, realtime_handler, 30, "us-east-1")
        api_log = Logger()
        app = FastAPI()

        @app.get("/v1/orders")
        def orders():  # a sync route: on the threadpool's worker, like the socket's invocations
            api_log.info("api line")
            return {}

        class Authorizer:  # what the token check sets
            def __init__(self, app): self.app = app
            async def __call__(self, scope, receive, send):
                user = dict(scope.get("headers", [])).get(b"x-user", b"").decode()
                if user:
                    scope["aws.event"] = {"requestContext": {"authorizer": {"user_id": user}}}
                await self.app(scope, receive, send)

        app.router.routes.append(websocket_route(realtime.invoke))
        app.add_middleware(RequestLogKeys)
        app.add_middleware(Authorizer)
        with TestClient(app) as client:
            try:
                with client.websocket_connect("/ws"):
                    pass
            except Exception:
                pass  # refused: no token
            for user in ("carol", "dave"):
                client.get("/v1/orders", headers={"x-user": user})
        resume.set()
        stop.set()
        poller.join(120)
        with open(sys.argv[1], "w") as f:
            json.dump({"order_id": order.order_id, "lines": out.getvalue().splitlines()}, f)
    """
)


def test_handlers_and_requests_on_shared_threads_log_their_own_keys(tmp_path: Path) -> None:
    """A worker thread that ran the realtime handler serves API requests next: before, their lines
    carried the socket's connection_id and route and the realtime function's ARN and request id."""
    script, found = tmp_path / "stack.py", tmp_path / "lines.json"
    script.write_text(STACK)
    done = subprocess.run([sys.executable, script, found], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(found.read_text())
    lines = [json.loads(line) for line in result["lines"]]
    by_message: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        by_message.setdefault(line["message"], []).append(line)

    (executed,) = by_message["order processed"]
    assert executed["function_name"] == "nija-test-executor-paper"
    assert executed["function_arn"].endswith(":nija-test-executor-paper")
    assert (executed["user_id"], executed["correlation_id"]) == (
        "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11",
        result["order_id"],
    )
    (refused,) = by_message["refused a connection"]
    assert refused["function_name"] == "nija-test-realtime"
    assert refused["function_arn"].endswith(":nija-test-realtime")
    assert refused["user_id"] == "anonymous" and refused["route"] == "$connect"
    api = by_message["api line"]
    assert [(x["function_name"], x["user_id"]) for x in api] == [
        ("nija-test-trading-api", "carol"),
        ("nija-test-trading-api", "dave"),
    ]
    invocations = {refused["correlation_id"], refused["function_request_id"], executed["function_request_id"]}
    for line in api:
        assert not {"connection_id", "route", "function_arn", "function_request_id"} & line.keys(), line
        assert line["correlation_id"] not in invocations | {executed["correlation_id"]}
    assert len({x["correlation_id"] for x in api}) == 2


def test_an_invocation_never_takes_its_callers_context_keys() -> None:
    """A function instance runs in a context of its own: the keys of the context that calls it (a
    request's, set as nija.api.request_log sets them) never reach its lines, and its invocation
    neither clears them (inject_lambda_context's clear_state clears the context's keys) nor leaves
    its own behind."""
    import contextvars
    import io
    import logging

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.logging.formatter import THREAD_LOCAL_KEYS

    from nija.local.lambda_runtime import LambdaContext
    from nija.local.pollers import FunctionInstance

    out = io.StringIO()
    logger = Logger(service="nija-log-keys", logger_handler=logging.StreamHandler(out))

    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, str], context: LambdaContext) -> None:
        logger.append_keys(user_id=event["user"], correlation_id=f"corr-{event['user']}")
        logger.info("handled")

    instance = FunctionInstance("fn-alice", handler, 30, "us-east-1")

    def request() -> None:  # the caller, in a request's context
        THREAD_LOCAL_KEYS.set({**THREAD_LOCAL_KEYS.get(), "user_id": "carol", "correlation_id": "req-1"})
        instance.invoke({"user": "alice"})
        logger.info("after")

    contextvars.copy_context().run(request)
    handled, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert (handled["function_name"], handled["user_id"], handled["correlation_id"]) == (
        "fn-alice",
        "alice",
        "corr-alice",
    )
    assert (after["user_id"], after["correlation_id"]) == ("carol", "req-1")
