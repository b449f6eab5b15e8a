"""The Lambda entry point every API function shares: Powertools around Mangum around a FastAPI app.

No Powertools Tracer here on purpose: the X-Ray SDK builds two botocore clients when it is imported
(about 150 ms of every cold start, measured in bench/cold_start.py). The functions and the REST stage
run with active tracing, so each request still shows in X-Ray with its Lambda segment.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from fastapi import FastAPI
from mangum import Mangum

from nija.config import on_reset

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def api_handler(create_app: Callable[[], FastAPI]) -> Handler:
    logger = Logger()
    metrics = Metrics()

    @cache
    def asgi() -> Mangum:
        # Built on the first request, not at import: settings and clients are read lazily.
        return Mangum(create_app(), lifespan="off", api_gateway_base_path="/")

    on_reset(asgi.cache_clear)  # new settings, new app (tests switch stages and auth modes)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @metrics.log_metrics
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        user_id = ((event.get("requestContext") or {}).get("authorizer") or {}).get("user_id")
        if user_id:
            logger.append_keys(user_id=user_id)
        response: dict[str, Any] = asgi()(event, context)
        return response

    return handler
