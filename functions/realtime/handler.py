"""realtime: the WebSocket API's $connect, $disconnect and $default routes.

$connect verifies the Cognito access token with the REST API's code (signature, expiry, issuer,
client, an active user) and stores the connection as that user's; the token comes in the
Authorization header or, since a browser cannot set headers on a WebSocket, a `token` query
parameter. A refusal is a 401 (403 for a disabled account): API Gateway refuses the handshake with it.
$default answers {"action": "ping"} with {"type": "pong"}."""

from __future__ import annotations

import json
from typing import Any

from nija import wiring
from nija.api.auth import bearer_token
from nija.domain.errors import Forbidden, Unauthenticated
from nija.observability import emit, function_tools

CONNECTIONS_OPENED, CONNECTIONS_CLOSED, CONNECTIONS_REFUSED = (
    "WebSocketConnected",
    "WebSocketDisconnected",
    "WebSocketRefused",
)

tools = function_tools()  # Logger and the Tracer (botocore and httplib only)
logger = tools.logger
# Metrics through nija.observability.emit (Powertools' single_metric, one EMF blob each), not a
# Metrics instance: that buffer is shared by every function in one process, and the local stack and
# the tests run this handler beside the stream processor's thread, which flushes its own.


def _token(event: dict[str, Any]) -> str:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    if headers.get("authorization"):
        return bearer_token(headers["authorization"])
    token = (event.get("queryStringParameters") or {}).get("token")
    if not token:
        raise Unauthenticated("a token is required: an Authorization: Bearer header or ?token=")
    return str(token)


def _reply(status: int, body: dict[str, Any] | None = None) -> dict[str, Any]:
    reply: dict[str, Any] = {"statusCode": status}
    if body is not None:
        reply["body"] = json.dumps(body, separators=(",", ":"))
    return reply


def _error(status: int, code: str, message: str) -> dict[str, Any]:
    return _reply(status, {"type": "error", "error": {"code": code, "message": message}})


def _connect(event: dict[str, Any], connection_id: str) -> dict[str, Any]:
    try:
        principal = wiring.realtime().connect(connection_id, _token(event))
    except Unauthenticated as exc:
        logger.info("refused a connection", extra={"reason": exc.message})
        emit(CONNECTIONS_REFUSED, status="401")
        return _error(401, exc.code, exc.message)
    except Forbidden as exc:
        logger.info("denied a connection", extra={"reason": exc.message})
        emit(CONNECTIONS_REFUSED, status="403")
        return _error(403, exc.code, exc.message)
    logger.append_keys(user_id=principal.user_id)
    logger.info("connected")
    emit(CONNECTIONS_OPENED)
    return _reply(200)


def _message(event: dict[str, Any]) -> dict[str, Any]:
    try:
        body = json.loads(event.get("body") or "{}")
    except json.JSONDecodeError:
        return _error(400, "invalid_input", "messages are JSON objects")
    action = body.get("action") if isinstance(body, dict) else None
    if action == "ping":
        return _reply(200, {"type": "pong"})
    return _error(400, "unknown_action", "the only action is ping; events are pushed without asking")


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = event["requestContext"]
    route, connection_id = request["routeKey"], request["connectionId"]
    logger.append_keys(
        connection_id=connection_id, correlation_id=request.get("requestId"), route=route, user_id="anonymous"
    )
    if route == "$connect":
        return _connect(event, connection_id)
    if route == "$disconnect":
        user_id = wiring.realtime().disconnect(connection_id)
        logger.info("disconnected", extra={"user_id": user_id})
        emit(CONNECTIONS_CLOSED)
        return _reply(200)
    return _message(event)


handler = tools.wrap(_handle, flush_metrics=False)
