"""Each log line names its own function, user and correlation id in the local stack, where every
handler runs on a thread of one process (in the cloud each function has its own process). Run in a
subprocess: the fix is installed process-wide, as the local stack installs it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
