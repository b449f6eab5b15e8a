"""The outermost layer of every API app (the Lambda functions' through Mangum and the local stack's):
headers every response carries, and the error shape for the errors the framework answers itself.

- `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere;
  `Strict-Transport-Security` on every response served over HTTPS (API Gateway's; the local stack is
  plain HTTP, where browsers ignore it anyway); `Cache-Control: no-store` unless a route set its own
  (tokens, keys' metadata and account data must not sit in a cache); a JSON response also gets a
  Content-Security-Policy that allows nothing (a route serving a page sets its own).
- An error response that is not JSON (Starlette's 413 for a body over the limit, answered before
  any route or exception handler runs) is replaced by `{"error": {"code", "message"}}`.
- An unhandled exception is answered here, as a 500 in that shape with these headers: Starlette
  answers it in ServerErrorMiddleware, outside every middleware, so its reply would lack them. The
  exception still goes on up, so that ServerErrorMiddleware's handler (nija.api.errors) logs it.
"""

from __future__ import annotations

import json
from http import HTTPStatus

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nija import security_headers
from nija.api.errors import HTTP_CODES, error_response

JSON_CSP = "default-src 'none'; frame-ancestors 'none'"


def _secure(headers: MutableHeaders, https: bool) -> None:
    for name, value in security_headers.ALWAYS.items():
        headers[name] = value
    if https:
        headers["Strict-Transport-Security"] = security_headers.HSTS
    if "cache-control" not in headers:
        headers["Cache-Control"] = "no-store"
    if (
        headers.get("content-type", "").startswith("application/json")
        and "content-security-policy" not in headers
    ):
        headers["Content-Security-Policy"] = JSON_CSP


MESSAGES = {413: "the request body is too large"}


def _error_body(status: int) -> bytes:
    try:
        message = MESSAGES.get(status) or HTTPStatus(status).phrase
    except ValueError:
        message = "error"
    return json.dumps(
        {"error": {"code": HTTP_CODES.get(status, "error"), "message": message}}, separators=(",", ":")
    ).encode()


class ApiResponses:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        replaced = started = False
        https = scope.get("scheme") == "https"

        async def sending(message: Message) -> None:
            nonlocal replaced, started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                status = int(message["status"])
                if status >= 400 and not headers.get("content-type", "").startswith("application/json"):
                    replaced = True
                    body = _error_body(status)
                    headers["content-type"] = "application/json"
                    headers["content-length"] = str(len(body))
                    _secure(headers, https)
                    await send(message)
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
                _secure(headers, https)
            elif replaced and message["type"] == "http.response.body":
                return  # the framework's plain-text body: already answered in the API's shape
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not started:
                await error_response(500, "internal_error", "internal error")(scope, receive, sending)
            raise
