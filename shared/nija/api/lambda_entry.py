"""The Lambda entry point every API function shares: Powertools around Mangum around a FastAPI app.

Logger (correlation id = API Gateway's request id, user_id from the authorizer's context on every
line), Metrics (flushed after each request; the routes add business metrics, e.g. OrdersPlaced) and
a Tracer from nija.observability: botocore and httplib patched only, never ``patch_all``. Powertools'
default Tracer costs about 140 ms of a Lambda cold start (it patches every library the X-Ray SDK knows);
this one about 25 ms, and none where tracing is off (bench/cold_start.py runs with it off;
``--traced`` measures it as in Lambda). The functions and the REST stage run with active tracing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from fastapi import FastAPI
from mangum import Mangum

from nija.config import on_reset
from nija.observability import function_tools

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def api_handler(create_app: Callable[[], FastAPI]) -> Handler:
    tools = function_tools()
    logger, tracer = tools.logger, tools.tracer

    @cache
    def asgi() -> Mangum:
        # Built on the first request, not at import: settings and clients are read lazily.
        return Mangum(create_app(), lifespan="off", api_gateway_base_path="/")

    on_reset(asgi.cache_clear)  # new settings, new app (tests switch stages and auth modes)

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        user_id = ((event.get("requestContext") or {}).get("authorizer") or {}).get("user_id")
        # Public routes (sign-up, login) have no user yet: the key is there all the same.
        logger.append_keys(user_id=user_id or "anonymous")
        if tracer is not None and user_id:
            tracer.put_annotation("user_id", user_id)
        response: dict[str, Any] = asgi()(event, context)
        # One line per request in the function's log, with the request's keys (no body, no headers).
        logger.info(
            "request handled",
            extra={
                "method": event.get("httpMethod"),
                "resource": event.get("resource"),
                "status": response.get("statusCode"),
            },
        )
        return response

    return tools.wrap(handle, correlation_id_path=correlation_paths.API_GATEWAY_REST)
