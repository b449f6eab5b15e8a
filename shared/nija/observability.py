"""Powertools in every function: the business metrics (CloudWatch embedded metric format), the tracer,
and the platform's library loggers routed through the function's Powertools Logger.

The use cases speak through nija.ports.telemetry (which also holds the metric names and dimensions the
CDK app's alarms and dashboard read); PowertoolsTelemetry is that port in a function.

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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from nija.ports.telemetry import NAMESPACE

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics, Tracer

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


Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class FunctionTools:
    """A function's Powertools: its Logger (library loggers routed through it in Lambda), Metrics and
    Tracer, and the one way every handler is wrapped in them."""

    logger: Logger
    metrics: Metrics
    tracer: Tracer | None

    def wrap(
        self, handle: Handler, *, correlation_id_path: str | None = None, flush_metrics: bool = True
    ) -> Handler:
        """Logger context (cleared per invocation), metrics flushed after it, the ## handler
        subsegment. ``flush_metrics=False`` for a function that emits each metric at once (emit)."""
        traced = trace_handler(handle, self.tracer)
        body = self.metrics.log_metrics(traced) if flush_metrics else traced
        wrapped: Handler = self.logger.inject_lambda_context(
            correlation_id_path=correlation_id_path, clear_state=True
        )(body)
        return wrapped


def function_tools() -> FunctionTools:
    from aws_lambda_powertools import Logger, Metrics

    logger = Logger()
    route_library_logs(logger)
    return FunctionTools(logger=logger, metrics=Metrics(), tracer=lambda_tracer())


class PowertoolsTelemetry:
    """The telemetry port (nija.ports.telemetry) in a function: each count an EMF blob of its own
    (emit), each line through the service's Powertools logger with the invocation's keys."""

    def __init__(self) -> None:
        from aws_lambda_powertools import Logger

        self._logger = Logger(child=True)

    def count(self, metric: str, value: float = 1, **dimensions: str) -> None:
        emit(metric, value, **dimensions)

    def info(self, message: str, **fields: Any) -> None:
        self._logger.info(message, extra=fields, stacklevel=3)  # the caller's line as location

    def warning(self, message: str, **fields: Any) -> None:
        self._logger.warning(message, extra=fields, stacklevel=3)  # the caller's line as location
