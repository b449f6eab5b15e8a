"""The local stack's WebSocket API: a Starlette route on the uvicorn app that turns a socket's
handshake, messages and close into API Gateway's $connect, $default and $disconnect events for the
real realtime handler, and the local stand-in for API Gateway's Management API (SOCKETS), through
which the stream processor's pushes reach the open sockets."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nija.ports.realtime import GoneConnection

WS_PATH = "/ws"
CLOSED_BY_SERVER = 1000  # a normal closure: the server ended the session (DeleteConnection)
Invoke = Callable[[dict[str, Any]], Any]


class LocalSockets:
    """connection id → how to send to that socket and how to close it; a missing id is a gone
    connection, as PostToConnection answers GoneException for a closed one."""

    def __init__(self) -> None:
        self._sockets: dict[str, tuple[Callable[[bytes], None], Callable[[], None] | None]] = {}
        self._lock = threading.Lock()

    def open(
        self, connection_id: str, send: Callable[[bytes], None], close: Callable[[], None] | None = None
    ) -> None:
        with self._lock:
            self._sockets[connection_id] = (send, close)

    def went_away(self, connection_id: str) -> None:
        """The client closed the socket (or it broke): later posts find it gone."""
        with self._lock:
            self._sockets.pop(connection_id, None)

    def post(self, connection_id: str, data: bytes) -> None:
        with self._lock:
            send = self._sockets.get(connection_id, (None, None))[0]
        if send is None:
            raise GoneConnection(f"connection {connection_id} is gone")
        try:
            send(data)
        except Exception as exc:  # closed while we sent (the server's error for it varies)
            self.went_away(connection_id)
            raise GoneConnection(f"connection {connection_id} is gone") from exc

    def close(self, connection_id: str) -> None:
        """DeleteConnection: the server closes the socket; its $disconnect follows."""
        with self._lock:
            _, close = self._sockets.pop(connection_id, (None, None))
        if close is not None:
            close()


SOCKETS = LocalSockets()


def new_connection_id() -> str:
    """API Gateway's connection ids look like `L0SM9cOFvHcCIhw=` (base64 of 10 bytes)."""
    return base64.b64encode(os.urandom(10)).decode()


def websocket_event(
    route: str,
    connection_id: str,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    body: str | None = None,
    domain: str = "127.0.0.1",
    stage: str = "local",
    connected_at_ms: int | None = None,
) -> dict[str, Any]:
    """The event API Gateway's WebSocket API sends a Lambda proxy integration."""
    now_ms = int(time.time() * 1000)
    kind = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route, "MESSAGE")
    request: dict[str, Any] = {
        "routeKey": route,
        "eventType": kind,
        "extendedRequestId": uuid.uuid4().hex[:16],
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
        "messageDirection": "IN",
        "stage": stage,
        "connectedAt": connected_at_ms or now_ms,
        "requestTimeEpoch": now_ms,
        "identity": {"sourceIp": "127.0.0.1", "userAgent": (headers or {}).get("user-agent", "")},
        "requestId": uuid.uuid4().hex[:16],
        "domainName": domain,
        "connectionId": connection_id,
        "apiId": "local",
    }
    event: dict[str, Any] = {"requestContext": request, "isBase64Encoded": False}
    if kind == "MESSAGE":
        request["messageId"] = uuid.uuid4().hex[:16]
        event["body"] = body or ""
    else:
        event["headers"] = dict(headers or {})
        event["multiValueHeaders"] = {k: [v] for k, v in (headers or {}).items()}
    if kind == "CONNECT":
        event["queryStringParameters"] = dict(query) if query else None
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} if query else None
    if kind == "DISCONNECT":
        request["disconnectStatusCode"] = 1000
        request["disconnectReason"] = ""
    return event


async def _refuse(ws: WebSocket, reply: dict[str, Any]) -> None:
    status = int(reply.get("statusCode") or 500)
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        body = reply.get("body") or ""
        await ws.send_denial_response(Response(body, status, media_type="application/json"))
    else:
        await ws.close(code=1008)  # uvicorn turns a close before accept into HTTP 403


def websocket_route(invoke: Invoke, sockets: LocalSockets = SOCKETS, path: str = WS_PATH) -> WebSocketRoute:
    """The route that serves the realtime handler (`invoke` calls it with one event)."""

    async def endpoint(ws: WebSocket) -> None:
        connection_id = new_connection_id()
        headers = dict(ws.headers)
        connected_ms = int(time.time() * 1000)
        common = {"domain": ws.url.netloc, "connected_at_ms": connected_ms}
        reply = await run_in_threadpool(
            invoke,
            websocket_event(
                "$connect", connection_id, headers=headers, query=dict(ws.query_params), **common
            ),
        )
        if not reply or reply.get("statusCode") != 200:
            await _refuse(ws, reply or {})
            return
        await ws.accept()
        loop = asyncio.get_running_loop()
        outbox: asyncio.Queue[str | None] = asyncio.Queue()  # None: close, after what came before

        async def writer() -> None:  # one writer: pushes leave in the order they were posted
            with contextlib.suppress(WebSocketDisconnect, RuntimeError):  # closed: the rest is dropped
                while (text := await outbox.get()) is not None:
                    await ws.send_text(text)
                await ws.close(code=CLOSED_BY_SERVER)

        def send(data: bytes) -> None:
            # From the stream poller's thread, without waiting for the event loop (busy serving the
            # API); a closed socket leaves SOCKETS before its $disconnect, so the next push finds it gone.
            loop.call_soon_threadsafe(outbox.put_nowait, data.decode())

        def close() -> None:  # as send: from the stream poller's thread, after the messages before it
            loop.call_soon_threadsafe(outbox.put_nowait, None)

        writing = asyncio.create_task(writer())
        sockets.open(connection_id, send, close)
        try:
            while True:
                text = await ws.receive_text()
                reply = await run_in_threadpool(
                    invoke, websocket_event("$default", connection_id, body=text, **common)
                )
                if reply and reply.get("body"):
                    outbox.put_nowait(str(reply["body"]))
        except WebSocketDisconnect:
            pass
        finally:
            sockets.went_away(connection_id)
            writing.cancel()
            await run_in_threadpool(
                invoke, websocket_event("$disconnect", connection_id, headers=headers, **common)
            )

    return WebSocketRoute(path, endpoint)
