"""Percentiles and a uniform way to print a figure beside its target."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def line(name: str, value: float, unit: str, target: str, ok: bool | None) -> str:
    verdict = "" if ok is None else ("  ok" if ok else "  MISSED")
    return f"  {name:<44} {value:>10.3f} {unit:<4} target {target}{verdict}"


def fake_aws(**extra: str) -> None:
    """Point this process at moto (in-process, or a server set later) with fake credentials, and with
    the local stack's fixes to it (nija.local.moto_server)."""
    from nija.local import moto_server

    moto_server.install()

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "NIJA_STAGE": "bench",
            "POWERTOOLS_METRICS_NAMESPACE": "NIJA",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            **extra,
        }
    )
    for key in ("NIJA_AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        os.environ.pop(key, None)


@contextmanager
def moto_platform(**env: str) -> Iterator[None]:
    """moto in this process, with the stage's tables, queues and vault key provisioned as the local
    stack does it (and its fixes to moto)."""
    from moto import mock_aws

    fake_aws(**env)
    with mock_aws():
        from nija.config import get_settings, reset_settings
        from nija.local.provision import create_vault_key, provision_data_plane

        reset_settings()
        provision_data_plane(get_settings().catalogue)
        os.environ["NIJA_VAULT_KEY_ID"] = create_vault_key(get_settings().catalogue)
        reset_settings()
        yield


@contextmanager
def counted_calls() -> Iterator[Counter[tuple[str, str]]]:
    """Every AWS call made in the block (pynamodb's too), by service and operation."""
    from botocore.client import BaseClient

    counts: Counter[tuple[str, str]] = Counter()
    original = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        counts[(self.meta.service_model.service_name, operation)] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
