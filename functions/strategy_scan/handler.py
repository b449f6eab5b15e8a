"""strategy_scan: one deployment per broker, on an EventBridge schedule (every 5 minutes by default).

The schedule's event fans the scan out, one invocation per shard of the enabled users (asynchronous
invocations of this same function; in the local stack, in process), and a shard's event
`{"broker": ..., "shard": n}` scans that shard (nija.logic.scan). A shard that could not queue some
of its intents fails once it has served every user and reported: Lambda retries it, and the rerun
sends those intents again (recorded as queued; the queue drops what it already has).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from nija import wiring
from nija.config import get_settings
from nija.domain.errors import ServiceUnavailable
from nija.domain.models import BrokerName
from nija.domain.settings import SCAN_SHARDS
from nija.observability import emit, function_tools, scan_correlation_id
from nija.ports.telemetry import BROKER, SCAN_DURATION, SCAN_USERS_SKIPPED

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib only)
logger, metrics = tools.logger, tools.metrics


def scan_shard(broker: BrokerName, shard: int) -> dict[str, Any]:
    # A shard is platform work for many users: its lines carry user_id "system" and the shard's tick.
    logger.append_keys(user_id="system", correlation_id=scan_correlation_id(broker.value, shard))
    started = time.perf_counter()
    report = wiring.scanner().run(shard, broker)
    duration_ms = (time.perf_counter() - started) * 1000
    emit(SCAN_DURATION, duration_ms, MetricUnit.Milliseconds, **{BROKER: broker.value})
    metrics.add_metric(name="ScanUsers", unit=MetricUnit.Count, value=report.users)
    metrics.add_metric(name="ScanIntents", unit=MetricUnit.Count, value=report.intents)
    metrics.add_metric(name="ScanFetches", unit=MetricUnit.Count, value=report.fetches)
    for reason, count in report.skipped.items():  # each user the shard could not serve, and why
        emit(SCAN_USERS_SKIPPED, count, **{BROKER: broker.value, "reason": reason})
    result = {"broker": broker.value, **report.as_dict()}
    logger.info("shard scanned", extra={**result, "duration_ms": round(duration_ms)})
    if unsent := report.skipped["enqueue_error"]:
        raise ServiceUnavailable(f"{unsent} intent(s) of {broker.value} shard {shard} could not be queued")
    return result


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "shard" in event:
        shard = int(event["shard"])
        if not 0 <= shard < SCAN_SHARDS:
            raise ValueError(f"shard must be 0 to {SCAN_SHARDS - 1}")
        return scan_shard(BrokerName(event["broker"]), shard)
    broker = get_settings().catalogue.broker_of(event["resources"][0])
    logger.append_keys(user_id="system", correlation_id=f"scan:{broker.value}:{event.get('time', '')}")
    dispatched = wiring.scan_fanout()(broker, range(SCAN_SHARDS), context, scan_shard)
    return {"broker": broker.value, "shards": SCAN_SHARDS, "dispatched": dispatched}


handler = tools.wrap(_handle)
