"""Powertools in every function: the business metrics (CloudWatch embedded metric format), the tracer,
and the platform's library loggers routed through the function's Powertools Logger.

Metric names and dimensions live here and nowhere else: the CDK app (infra_cdk/constructs/
observability.py) builds its alarms and dashboard from the same constants.

Tracing: Powertools' ``Tracer()`` patches every library the X-Ray SDK knows (``patch_all``), about
110 ms of a cold start in Lambda, and even a disabled Tracer imports the SDK (outside Lambda that import
builds two botocore clients for sampling, about 140 ms). ``lambda_tracer`` patches botocore (every AWS
call) and httplib (every broker's HTTP call: requests and urllib3 sit on it) only, about 25 ms in Lambda,
and builds no Tracer at all where tracing is off (tests, the local stack, the benchmarks).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Tracer

NAMESPACE = "NIJA"

# One data point per order the trading API accepted (POST /v1/orders answered 202). Dimension: broker.
ORDERS_PLACED = "OrdersPlaced"
# One per order that became fully filled at its broker. Dimension: broker.
ORDERS_FILLED = "OrdersFilled"
# One per order the executor refused or the broker rejected. Dimensions: broker, reason_code (the error
# codes of nija.domain.errors and the pre-trade refusals: a fixed, small set).
ORDERS_REFUSED = "OrdersRefused"
# One per order message dropped because its account is being erased or gone (nija.domain.standing).
# Dimension: broker.
ORDERS_DROPPED = "OrdersDropped"
# Milliseconds one shard of a strategy scan took. Dimension: broker.
SCAN_DURATION = "ScanDuration"
# Users a scan shard passed over, by why (nija.logic.scan: halted, halted_or_disabled, reducing,
# no_size, no_candles, market_data_error, signal_error, invalid_settings, broker_error,
# account_inactive, unavailable, enqueue_error, error). Dimensions: broker, reason.
SCAN_USERS_SKIPPED = "ScanUsersSkipped"
# A broker's circuit breaker: 1 when it opens (and for each call it holds back), 0 when it closes.
# Dimension: broker. The alarm keeps its state while no data comes (see the CDK construct).
BREAKER_OPEN = "BreakerOpen"
# Audit chains an anchoring run found no longer holding their anchored head. Dimension: service.
AUDIT_CHAINS_BROKEN = "AuditChainsBroken"

BROKER = "broker"
REASON_CODE = "reason_code"

TRACED_MODULES = ("botocore", "httplib")

H = TypeVar("H", bound=Callable[..., Any])


def emit(name: str, value: float = 1, unit: MetricUnit = MetricUnit.Count, **dimensions: str) -> None:
    """One metric with its own dimensions, printed as one EMF blob at once (Powertools' single_metric).

    Apart from the function's Metrics (which share one dimension set per invocation), so that metrics
    with different dimensions can come from one invocation.
    """
    with single_metric(name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions=dimensions):
        pass


def tracing_enabled() -> bool:
    """Powertools' own rule: in Lambda (not SAM local or chalice), unless POWERTOOLS_TRACE_DISABLED."""
    disabled = os.getenv("POWERTOOLS_TRACE_DISABLED", "false").lower() in ("1", "true", "yes", "on")
    emulated = os.getenv("AWS_SAM_LOCAL") or os.getenv("AWS_CHALICE_CLI_MODE")
    return bool(os.getenv("LAMBDA_TASK_ROOT")) and not disabled and not emulated


def lambda_tracer() -> Tracer | None:
    """A Tracer patching botocore and httplib only; None (and no X-Ray SDK import) when tracing is off."""
    if not tracing_enabled():
        return None
    from aws_lambda_powertools import Tracer

    tracer = Tracer(auto_patch=False)
    tracer.patch(TRACED_MODULES)
    return tracer


def trace_handler(handler: H, tracer: Tracer | None) -> H:
    """``tracer.capture_lambda_handler`` (the ## handler subsegment, ColdStart and service annotations)
    when there is a tracer; the handler unchanged when there is none."""
    if tracer is None:
        return handler
    traced: H = tracer.capture_lambda_handler(handler, capture_response=False)
    return traced


def route_library_logs(logger: Logger, *, only_in_lambda: bool = True) -> None:
    """Send the ``nija.*`` standard-library loggers (adapters, brokers) through ``logger``'s handler,
    so their lines are JSON with the same keys (user_id, correlation_id) as the function's own.

    The ``nija`` logger is made first: modules imported later create its children, which propagate to it.
    It stops propagating to the root logger (Powertools does that against double lines), so outside
    Lambda (tests with caplog, the local stack's console) this only happens when asked for.
    """
    if only_in_lambda and not os.getenv("LAMBDA_TASK_ROOT"):
        return
    logging.getLogger("nija")
    copy_config_to_registered_loggers(source_logger=logger, include={"nija"})


def scan_correlation_id(broker: str, shard: int, now: datetime | None = None, every_min: int = 5) -> str:
    """A scan shard's correlation id: broker, shard and the scan tick (the candle boundary it runs at)."""
    now = (now or datetime.now(UTC)).astimezone(UTC)
    tick = now.replace(minute=now.minute - now.minute % every_min, second=0, microsecond=0)
    return f"scan:{broker}:{shard}:{tick.strftime('%Y-%m-%dT%H:%MZ')}"
