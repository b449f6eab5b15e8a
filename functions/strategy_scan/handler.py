"""strategy_scan: one deployment per broker, on an EventBridge schedule (every 5 minutes by default).

The schedule's event fans the scan out, one invocation per shard of the enabled users (asynchronous
invocations of this same function; in the local stack, in process), and a shard's event
`{"broker": ..., "shard": n}` scans that shard (nija.logic.scan).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

from nija import wiring
from nija.config import get_settings
from nija.domain.models import BrokerName
from nija.domain.settings import SCAN_SHARDS

logger = Logger()
tracer = Tracer()
metrics = Metrics()


def scan_shard(broker: BrokerName, shard: int) -> dict[str, Any]:
    report = wiring.scanner().run(shard, broker)
    metrics.add_metric(name="ScanUsers", unit=MetricUnit.Count, value=report.users)
    metrics.add_metric(name="ScanIntents", unit=MetricUnit.Count, value=report.intents)
    metrics.add_metric(name="ScanFetches", unit=MetricUnit.Count, value=report.fetches)
    result = {"broker": broker.value, **report.as_dict()}
    logger.info("shard scanned", extra=result)
    return result


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "shard" in event:
        shard = int(event["shard"])
        if not 0 <= shard < SCAN_SHARDS:
            raise ValueError(f"shard must be 0 to {SCAN_SHARDS - 1}")
        return scan_shard(BrokerName(event["broker"]), shard)
    broker = get_settings().catalogue.broker_of(event["resources"][0])
    dispatched = wiring.scan_fanout()(broker, range(SCAN_SHARDS), context, scan_shard)
    return {"broker": broker.value, "shards": SCAN_SHARDS, "dispatched": dispatched}
