"""Running a scan's shards: asynchronous invocations of the scan function itself on AWS (each shard
its own invocation, in parallel, retried by Lambda), or one after another in this process (the
local stack, where moto cannot run Lambda functions)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from nija.adapters.aws import client
from nija.domain.models import BrokerName

ScanShard = Callable[[BrokerName, int], dict[str, Any]]
log = logging.getLogger(__name__)


def invoke_shards(broker: BrokerName, shards: Iterable[int], context: Any, scan: ScanShard) -> int:
    lam = client("lambda")
    count = 0
    for shard in shards:
        lam.invoke(
            FunctionName=context.invoked_function_arn,
            InvocationType="Event",
            Payload=json.dumps({"broker": broker.value, "shard": shard}).encode(),
        )
        count += 1
    return count


def inline_shards(broker: BrokerName, shards: Iterable[int], context: Any, scan: ScanShard) -> int:
    count = 0
    for shard in shards:
        try:
            scan(broker, shard)
        except Exception:  # as invocations of their own: a failed shard stops none of the others
            log.exception("%s scan shard %d failed", broker.value, shard)
        count += 1
    return count
