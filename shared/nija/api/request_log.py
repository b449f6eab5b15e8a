"""The log keys of each request the local stack's API serves itself (in the cloud Lambda's context
and API Gateway's request id give them): the function that serves the route, the caller and a
correlation id, in a context variable, so that each request's task, and the worker thread that runs
its route, see only its own."""

from __future__ import annotations

import uuid

from aws_lambda_powertools.logging.formatter import THREAD_LOCAL_KEYS
from starlette.types import ASGIApp, Receive, Scope, Send

from nija.api.routes import route_for
from nija.config import get_settings


class RequestLogKeys:
    """The local API's stand-in for what Lambda and API Gateway give each request's lines: the name
    of the function that serves the route, the caller's user id and a correlation id. Sits inside the
    token check, which sets the authorizer context it reads."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Built with the app, under the settings the app is built with: not once per request.
        self.functions = {d.key: d.name for d in get_settings().catalogue.api_functions}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_for(scope["method"], scope["path"])
        context = (scope.get("aws.event") or {}).get("requestContext", {}).get("authorizer") or {}
        keys = {
            "function_name": self.functions.get(route.function, "api") if route else "api",
            "user_id": context.get("user_id") or "anonymous",
            "correlation_id": str(uuid.uuid4()),
        }
        token = THREAD_LOCAL_KEYS.set({**THREAD_LOCAL_KEYS.get(), **keys})
        try:
            await self.app(scope, receive, send)
        finally:
            THREAD_LOCAL_KEYS.reset(token)
