"""The local stack's scan fan-out: the shards one after another in process."""

from __future__ import annotations

from typing import Any

from nija.adapters.scan_fanout import inline_shards
from nija.domain.models import BrokerName


def test_a_failing_shard_stops_none_of_the_others() -> None:
    """In the cloud each shard is an invocation of its own; in process, one that raises (its user
    states unread, say, or intents left unqueued for a retry) must not end the others' scan."""
    scanned: list[int] = []

    def scan(broker: BrokerName, shard: int) -> dict[str, Any]:
        scanned.append(shard)
        if shard == 1:
            raise ConnectionError("the state table did not answer")
        return {"broker": broker.value, "shard": shard}

    assert inline_shards(BrokerName.PAPER, range(4), None, scan) == 4
    assert scanned == [0, 1, 2, 3]
