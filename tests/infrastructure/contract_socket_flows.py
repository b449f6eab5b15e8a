"""The contract flows of the functions that verify a user's Cognito access token (the REST API's
authorizer, the WebSocket API's $connect) and of the stream processor, which pushes a user's changes
to their WebSocket connections.

The token is a real one, issued by moto's Cognito (in process) and signed with the key moto bundles;
the verifier fetches the pool's JWKS over HTTP, as it fetches Cognito's when deployed, from a
loopback server that serves moto's public keys at the pool's path (in-process moto answers botocore,
not urllib)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aws_calls import unrecorded
from contract_kit import ALICE, env, handler, paper_user, queue_paper_order
from kit import password_tokens, queued_event

from nija import wiring
from nija.config import get_settings
from nija.domain.models import UserStatus
from nija.local import identity
from nija.local.lambda_runtime import load_event

PASSWORD = "Contract-Passw0rd!"
CONNECTION = "LzM2VEx9IAMCJdA="  # as API Gateway names a WebSocket connection
# The WebSocket API's callback URL (the stage's @connections), as the CDK app gives the processor.
SOCKET_API = "https://wsapi00test.execute-api.us-east-1.amazonaws.com/test"
DEVICE = "ExponentPushToken[contractcontractcontra]"


def jwks_server(request: pytest.FixtureRequest, pool_id: str) -> str:
    """The pool's JWKS URL on a loopback server, stopped when the test ends."""
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    path = f"/{pool_id}/.well-known/jwks.json"

    class Keys(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == path
            body = CognitoIdpJsonWebKeyResponse.json_web_key if found else b"{}"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Keys)
    thread = threading.Thread(target=server.serve_forever, name="jwks", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    request.addfinalizer(stop)
    return f"http://127.0.0.1:{server.server_port}{path}"


@dataclass(frozen=True)
class SignedIn:
    user_id: str
    access_token: str
    admin_id: str
    admin_token: str


def signed_in(request: pytest.FixtureRequest) -> SignedIn:
    """A confirmed user and an admin of a pool made as the CDK app makes it, signed in with their
    passwords."""
    pool = identity.create_user_pool(get_settings().catalogue)
    env(
        request,
        user_pool_id=pool.pool_id,
        user_pool_client_id=pool.client_id,
        jwks_url=jwks_server(request, pool.pool_id),
    )
    tokens = {}
    for email, admin in (("alice@example.com", False), ("root@example.com", True)):
        user_id = identity.create_confirmed_user(pool, email, PASSWORD, wiring.users(), admin=admin)
        tokens[admin] = (user_id, password_tokens(pool.client_id, email, PASSWORD)["AccessToken"])
    return SignedIn(*tokens[False], *tokens[True])


# --- authorizer: a request with a user's token, and an admin's ----------------------------------------------


def authorize(given: SignedIn) -> None:
    """A user's request, and an admin's (whose TOTP the authorizer asks the pool, with the token)."""
    for user_id, token, role in (
        (given.user_id, given.access_token, "user"),
        (given.admin_id, given.admin_token, "admin"),
    ):
        out = handler("authorizer", load_event("authorizer/request", token=token))
        assert out["principalId"] == user_id, out
        assert out["policyDocument"]["Statement"][0]["Effect"] == "Allow", out
        assert out["context"]["role"] == role, out


# --- realtime: a connection opened with the token in its query string, a ping, its close -----------------


def connect_and_close(given: SignedIn) -> None:
    def route(case: str, **values: str) -> dict[str, Any]:
        reply = handler("realtime", load_event(f"realtime/{case}", connection_id=CONNECTION, **values))
        assert reply["statusCode"] == 200, reply
        return dict(reply)

    route("connect_query_token", token=given.access_token)
    with unrecorded():
        assert wiring.realtime().connections.of_user(given.user_id) == [CONNECTION]
    route("default_ping")
    route("disconnect")


# --- stream_processor: a user's fill, then an admin disabling them, pushed to their one connection ---------


def user_changes(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    """The stream events the processor's event source would deliver for: ALICE's connection opened
    (as $connect stores it), a market order of hers queued and filled by the paper executor (order,
    fill, position), and an admin disabling her account (its sockets are then closed). She has a
    phone registered, so the fill notifies it (recorded, nothing is sent)."""
    from nija.adapters.dynamo.connections import DynamoConnections
    from nija.domain.notifications import Device

    tmp = request.getfixturevalue("tmp_path")
    env(request, websocket_endpoint=SOCKET_API, push_mode="record", push_outbox=str(tmp / "push.jsonl"))
    paper_user(ALICE)
    wiring.devices().add(ALICE, Device(token=DEVICE, platform="ios"))
    DynamoConnections().add(CONNECTION, ALICE)
    queue_paper_order(ALICE)
    assert handler("executor", queued_event("paper"))["batchItemFailures"] == []
    wiring.users().update_user(ALICE, status=UserStatus.DISABLED)
    return streamed_events()


def streamed_events() -> list[dict[str, Any]]:
    """The state table's stream so far, filtered and batched as the processor's event source does."""
    from nija.adapters.dynamo.stream_records import streamed
    from nija.local.pollers import FunctionInstance
    from nija.local.streams import StreamPoller

    events: list[dict[str, Any]] = []

    def keep(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {"batchItemFailures": []}

    fn = get_settings().catalogue.stream_processor
    instance = FunctionInstance(fn.name, keep, fn.timeout_s, get_settings().region)
    StreamPoller(
        get_settings().catalogue.state_table.name, instance, threading.Event(), keep=streamed
    ).drain()
    assert events, "the state table streamed nothing"
    return events


def push(events: list[dict[str, Any]]) -> None:
    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    for event in events:
        assert handler("stream_processor", event)["batchItemFailures"] == []
    sockets = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID][get_settings().region]
    assert CONNECTION not in sockets.connections, "the disabled account's connection is still open"
    with unrecorded():
        assert wiring.realtime().connections.of_user(ALICE) == []  # forgotten once closed
    notified = Path(get_settings().push_outbox).read_text().splitlines()
    assert "fills" in [json.loads(line)["data"]["kind"] for line in notified], "the fill notified no phone"


# --- stream_processor on a stack with the `timestream` flag: the fill is also a time-series point -----------


def user_changes_with_timestream(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    from nija.adapters.aws import client

    cat = get_settings().catalogue
    ts = client("timestream-write")
    ts.create_database(DatabaseName=cat.timestream_database)
    ts.create_table(DatabaseName=cat.timestream_database, TableName=cat.timestream_table)
    env(request, timestream_enabled="true")
    return user_changes(request)


def push_and_write(events: list[dict[str, Any]]) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.timestreamwrite.models import timestreamwrite_backends

    push(events)
    cat = get_settings().catalogue
    database = timestreamwrite_backends[DEFAULT_ACCOUNT_ID][get_settings().region].databases
    assert database[cat.timestream_database].tables[cat.timestream_table].records, "no point was written"
