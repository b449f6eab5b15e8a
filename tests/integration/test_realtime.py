"""Real-time updates on a moto server: the realtime handler with real Cognito tokens, and the stream
processor fed by the local stream poller from the state table's real stream, after an order placed
through the API and filled by the executor. Pushes go through the local stack's sockets
(nija.local.websocket.SOCKETS), where each test connection's socket is a list."""

from __future__ import annotations

import gzip
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.dynamo.connections import DynamoConnections
from nija.adapters.dynamo.stream_records import streamed
from nija.config import get_settings, reset_settings
from nija.domain.models import UserStatus
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function, queue_arn, sqs_event
from nija.local.pollers import FunctionInstance
from nija.local.provision import create_vault_key, provision_data_plane
from nija.local.streams import StreamPoller
from nija.local.websocket import SOCKETS
from tests.kit import password_tokens

pytestmark = [pytest.mark.xdist_group("motoserver"), pytest.mark.slow]

PASSWORD = "Realtime-Passw0rd!"


@dataclass
class Socket:
    """What a client's socket received, and a way to wait for a message."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    closed: threading.Event = field(default_factory=threading.Event)  # by the server (DeleteConnection)

    def send(self, data: bytes) -> None:
        with self.arrived:
            self.messages.append(json.loads(data))
            self.arrived.notify_all()

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout_s: float = 60) -> dict[str, Any]:
        with self.arrived:
            self.arrived.wait_for(lambda: any(match(m) for m in self.messages), timeout_s)
            found = [m for m in self.messages if match(m)]
        assert found, f"nothing matching among {self.messages}"
        return found[0]


Handler = Callable[[dict[str, Any]], Any]


def function(key: str, name: str, instance: str = "realtime-test") -> Handler:
    """A deployment of functions/<key> as Lambda imports it, called with a fresh context."""
    module = load_function(key, instance)
    return lambda event: module.handler(event, LambdaContext(name))


@dataclass
class World:
    realtime: Handler
    stream: StreamPoller
    tokens: dict[str, dict[str, str]]
    users: dict[str, str]
    pool: identity.Pool


def sign_in(client_id: str, email: str) -> dict[str, str]:
    return password_tokens(client_id, email, PASSWORD)


@pytest.fixture(scope="module")
def world(moto_endpoint: str) -> Iterator[World]:
    stop = threading.Event()
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("NIJA_STAGE", f"rt{uuid.uuid4().hex[:6]}")
        env.setenv("NIJA_AUTH_MODE", "verify")
        env.setenv("NIJA_REALTIME_PUSH", "local")
        wiring.use_local_pusher(SOCKETS)
        reset_settings()
        cat = get_settings().catalogue
        provision_data_plane(cat)
        env.setenv("NIJA_VAULT_KEY_ID", create_vault_key(cat))
        pool = identity.create_user_pool(cat)
        env.setenv("NIJA_USER_POOL_ID", pool.pool_id)
        env.setenv("NIJA_USER_POOL_CLIENT_ID", pool.client_id)
        env.setenv("NIJA_JWKS_URL", f"{moto_endpoint}/{pool.pool_id}/.well-known/jwks.json")
        env.setenv("NIJA_AUTO_CONFIRM_SIGNUP", "true")
        reset_settings()
        tokens, users = {}, {}
        for name in ("alice", "bob", "carol"):
            address = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
            users[name] = wiring.accounts().sign_up(address, PASSWORD).user_id
            tokens[name] = sign_in(pool.client_id, address)
        identity.connect_paper(users["alice"])
        processor = cat.stream_processor
        stream = StreamPoller(
            cat.state_table.name,
            FunctionInstance(
                processor.name,
                load_function("stream_processor", "realtime-test").handler,
                processor.timeout_s,
                get_settings().region,
            ),
            stop,
            keep=streamed,
            start="LATEST",
        )
        stream.start()
        try:
            yield World(function("realtime", cat.realtime.name), stream, tokens, users, pool)
        finally:
            stop.set()
            stream.join(timeout=5)
    reset_settings()


def new_id() -> str:
    return uuid.uuid4().hex[:12] + "="


def connect(world: World, who: str, case: str = "connect_query_token") -> tuple[str, Socket]:
    connection_id, socket = new_id(), Socket()
    token = world.tokens[who]["AccessToken"]
    reply = world.realtime(load_event(f"realtime/{case}", connection_id=connection_id, token=token))
    assert reply["statusCode"] == 200, reply
    SOCKETS.open(connection_id, socket.send, socket.closed.set)
    return connection_id, socket


def place_and_execute(world: World, who: str) -> str:
    """POST /v1/orders on the local app, then the paper executor on what the API queued."""
    from nija.api.apps import create_local_app

    app = TestClient(create_local_app())
    order = app.post(
        "/v1/orders",
        json={"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"},
        headers={"Authorization": f"Bearer {world.tokens[who]['AccessToken']}"},
    )
    assert order.status_code == 202, order.text
    cat = get_settings().catalogue
    queue = cat.queue("paper").name
    messages = client("sqs").receive_message(
        QueueUrl=queue_url(queue),
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )["Messages"]
    executor = function("executor", cat.executor("paper").name, instance="realtime-paper")  # its own module
    result = executor(sqs_event(messages, queue_arn(get_settings().region, queue), get_settings().region))
    assert not result["batchItemFailures"], result
    for m in messages:  # as the event source does after a successful batch
        client("sqs").delete_message(QueueUrl=queue_url(queue), ReceiptHandle=m["ReceiptHandle"])
    return str(order.json()["order_id"])


def test_a_fill_reaches_its_users_connections_only(world: World) -> None:
    _, alice = connect(world, "alice")
    _, alice_header = connect(world, "alice", "connect_header_token")
    _, bob = connect(world, "bob")
    order_id = place_and_execute(world, "alice")
    for socket in (alice, alice_header):
        fill = socket.wait_for(lambda m: m["type"] == "fill" and m["order_id"] == order_id)
        assert fill["symbol"] == "BTC/USD" and fill["quantity"] == "0.01" and fill["price"]
        socket.wait_for(
            lambda m: m["type"] == "order" and m["order_id"] == order_id and m["status"] == "filled"
        )
        socket.wait_for(lambda m: m["type"] == "position" and m["symbol"] == "BTC/USD")
    assert bob.messages == []


def test_the_kill_switch_reaches_its_user(world: World) -> None:
    from nija.api.apps import create_local_app

    _, carol = connect(world, "carol")
    app = TestClient(create_local_app())
    engaged = app.post(
        "/v1/kill-switch",
        json={"engaged": True},
        headers={"Authorization": f"Bearer {world.tokens['carol']['AccessToken']}"},
    )
    assert engaged.status_code == 200, engaged.text
    event = carol.wait_for(lambda m: m["type"] == "kill_switch")
    assert event["engaged"] is True


def test_a_gone_connection_is_deleted(world: World) -> None:
    kept, socket = connect(world, "alice")
    gone, _ = connect(world, "alice")
    SOCKETS.went_away(gone)  # the client went away without a $disconnect
    assert gone in DynamoConnections().of_user(world.users["alice"])
    order_id = place_and_execute(world, "alice")
    socket.wait_for(lambda m: m["type"] == "fill" and m["order_id"] == order_id)
    deadline = time.monotonic() + 30
    while gone in DynamoConnections().of_user(world.users["alice"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert gone not in DynamoConnections().of_user(world.users["alice"])
    assert DynamoConnections().remove(gone) is None  # its CONN# item went with it
    assert kept in DynamoConnections().of_user(world.users["alice"])


def test_disconnect_forgets_the_connection(world: World) -> None:
    connection_id, _ = connect(world, "bob")
    assert connection_id in DynamoConnections().of_user(world.users["bob"])
    reply = world.realtime(load_event("realtime/disconnect", connection_id=connection_id))
    assert reply["statusCode"] == 200
    assert connection_id not in DynamoConnections().of_user(world.users["bob"])


def test_ping_is_answered(world: World) -> None:
    connection_id, _ = connect(world, "bob")
    reply = world.realtime(load_event("realtime/default_ping", connection_id=connection_id))
    assert reply["statusCode"] == 200 and json.loads(reply["body"]) == {"type": "pong"}
    other = world.realtime(load_event("realtime/default_unknown", connection_id=connection_id))
    assert other["statusCode"] == 400 and json.loads(other["body"])["error"]["code"] == "unknown_action"


def expired(token: str) -> str:
    """Signed with the issuer's own key (moto's), correct in every way but its expiry."""
    private = json.loads(
        gzip.decompress(
            resources.files("moto.cognitoidp").joinpath("resources/jwks-private.json.gz").read_bytes()
        )
    )
    key = jwt.PyJWK(private)
    now = int(time.time())
    claims = jwt.decode(token, options={"verify_signature": False})
    claims.update(iat=now - 3600, auth_time=now - 3600, exp=now - 60)
    return jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key.key_id or "dummy"})


def forged(token: str) -> str:
    head, body, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return ".".join((head, body, signature[:middle] + flipped + signature[middle + 1 :]))


@pytest.mark.parametrize("kind", ["malformed", "expired", "forged signature", "id token"])
def test_connect_refuses_a_bad_token(world: World, kind: str) -> None:
    alice = world.tokens["alice"]
    token = {
        "malformed": "not.a.jwt",
        "expired": expired(alice["AccessToken"]),
        "forged signature": forged(alice["AccessToken"]),
        "id token": alice["IdToken"],
    }[kind]
    connection_id = new_id()
    for case in ("connect_query_token", "connect_header_token"):
        reply = world.realtime(load_event(f"realtime/{case}", connection_id=connection_id, token=token))
        assert reply["statusCode"] == 401, (kind, case, reply)
        assert json.loads(reply["body"])["error"]["code"] == "unauthenticated"
    assert DynamoConnections().remove(connection_id) is None  # nothing was stored


def test_connect_without_a_token_is_refused(world: World) -> None:
    reply = world.realtime(load_event("realtime/connect_no_token", connection_id=new_id()))
    assert reply["statusCode"] == 401


def test_a_disabled_user_cannot_connect(world: World) -> None:
    address = f"dave-{uuid.uuid4().hex[:8]}@example.com"
    dave = wiring.accounts().sign_up(address, PASSWORD)
    token = sign_in(world.pool.client_id, address)["AccessToken"]
    wiring.users().put_user(dave.model_copy(update={"status": UserStatus.DISABLED}))
    reply = world.realtime(load_event("realtime/connect_query_token", connection_id=new_id(), token=token))
    assert reply["statusCode"] == 403


def test_an_admins_disable_reaches_the_user_then_their_sockets_are_closed(world: World) -> None:
    address = f"erin-{uuid.uuid4().hex[:8]}@example.com"
    erin = wiring.accounts().sign_up(address, PASSWORD)
    world.tokens["erin"] = sign_in(world.pool.client_id, address)
    _, socket = connect(world, "erin")
    wiring.accounts().set_status("admin-test", erin.user_id, UserStatus.DISABLED)
    socket.wait_for(lambda m: m["type"] == "account_disabled")
    assert socket.closed.wait(10)  # after the message, never before it
    deadline = time.monotonic() + 10
    while DynamoConnections().of_user(erin.user_id) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert DynamoConnections().of_user(erin.user_id) == []  # forgotten: no later event is pushed to it


def test_an_erasure_tells_the_users_sockets_then_closes_them(world: World) -> None:
    address = f"fran-{uuid.uuid4().hex[:8]}@example.com"
    fran = wiring.accounts().sign_up(address, PASSWORD)
    world.tokens["fran"] = sign_in(world.pool.client_id, address)
    _, socket = connect(world, "fran")
    _, other = connect(world, "alice")
    wiring.data_rights().delete_account(fran.user_id, address)
    socket.wait_for(lambda m: m["type"] == "account_deleted")
    assert socket.closed.wait(10)
    assert not any(m["type"] == "trading_disabled" for m in socket.messages)  # the erasure's mark is no pause
    assert not other.closed.is_set() and other.messages == []  # nobody else's session ends


def test_an_account_being_erased_cannot_connect(world: World) -> None:
    address = f"gil-{uuid.uuid4().hex[:8]}@example.com"
    gil = wiring.accounts().sign_up(address, PASSWORD)
    token = sign_in(world.pool.client_id, address)["AccessToken"]
    wiring.users().update_user(gil.user_id, trading_disabled_reason="account_deletion")  # erasure's mark
    reply = world.realtime(load_event("realtime/connect_query_token", connection_id=new_id(), token=token))
    assert reply["statusCode"] == 403
    assert DynamoConnections().of_user(gil.user_id) == []
