"""trading_api: the FastAPI app behind API Gateway, through Mangum.

No Powertools Tracer here on purpose: the X-Ray SDK builds two botocore clients when it is imported
(about 150 ms of every cold start, measured in bench/cold_start.py). The function and the REST stage
run with active tracing, so each request still shows in X-Ray with its Lambda segment.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from mangum import Mangum

from nija.api.apps import create_trading_app

logger = Logger()
metrics = Metrics()


@cache
def _asgi() -> Mangum:
    return Mangum(create_trading_app(), lifespan="off", api_gateway_base_path="/")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    user_id = ((event.get("requestContext") or {}).get("authorizer") or {}).get("user_id")
    if user_id:
        logger.append_keys(user_id=user_id)
    return _asgi()(event, context)
