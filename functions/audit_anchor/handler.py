"""audit_anchor: on an EventBridge schedule (hourly), copies every audit chain's head to the
write-once anchor bucket (S3 Object Lock, compliance mode), so that a chain whose newest records are
removed, or that is rewritten from some record on, no longer matches its anchor
(nija.domain.audit_anchor). Each anchor starts from the one before, so a run reads only the records
appended since. A chain that no longer holds its anchored head keeps it, is logged as an error and
counted in the AuditChainsBroken metric (alarm audit-chain-broken)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from nija import wiring
from nija.domain.errors import Conflict
from nija.observability import function_tools
from nija.ports.telemetry import AUDIT_CHAINS_BROKEN

tools = function_tools()  # Logger, Metrics and the Tracer (botocore and httplib only)
logger, metrics = tools.logger, tools.metrics


def _handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(user_id="system", correlation_id=f"anchor:{event.get('time', '')}")
    anchoring = wiring.audit_anchoring()
    if anchoring is None:
        raise RuntimeError("NIJA_AUDIT_ANCHOR_BUCKET is not set: nothing to anchor to")
    try:
        run = anchoring.anchor()
    except Conflict as exc:  # a run at the same time (a retried event, `nija audit anchor`) won
        logger.warning("not anchored: another run put an anchor meanwhile", extra={"reason": str(exc)})
        return {"skipped": str(exc)}
    anchor = run.anchor
    metrics.add_metric(name="AuditChainsAnchored", unit=MetricUnit.Count, value=len(anchor.heads))
    metrics.add_metric(name=AUDIT_CHAINS_BROKEN, unit=MetricUnit.Count, value=len(run.broken))
    for found in run.broken:  # kept at their old head, so that verification keeps naming them
        logger.error("audit chain broken", extra=found.model_dump(mode="json"))
    result = {
        "key": run.key,
        "cut": anchor.cut.isoformat(),
        "chains": len(anchor.heads),
        "digest": anchor.digest(),
        "broken": [found.model_dump(mode="json") for found in run.broken],
    }
    logger.info("anchored", extra=result)
    return result


handler = tools.wrap(_handle)
