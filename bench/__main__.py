"""`make bench`: every benchmark, each figure printed beside its target."""

from __future__ import annotations

import sys

from bench import (
    app_web,
    cold_start,
    cost,
    dashboard,
    executor_import,
    executor_throughput,
    ip_limits,
    latency,
    migrate,
    pipeline,
    ratelimit,
    realtime,
    rsi,
    scale,
    scan,
    token_verify,
    vault_read,
)

BENCHMARKS = {
    "vault_read": vault_read.main,
    "cold_start": cold_start.main,
    "executor_import": executor_import.main,
    "latency": latency.main,
    "token_verify": token_verify.main,
    "ratelimit": ratelimit.main,
    "ip_limits": ip_limits.main,
    "pipeline": pipeline.main,
    "executor_throughput": executor_throughput.main,
    "rsi": rsi.main,
    "scan": scan.main,
    "scale": scale.main,
    "cost": cost.main,
    "dashboard": dashboard.main,
    "realtime": realtime.main,
    "app_load": app_web.load,
    "app_fill": app_web.fill,
    "app_size": app_web.size,
    "migrate": migrate.main,
}


def main(argv: list[str]) -> None:
    chosen = argv or list(BENCHMARKS)
    for name in chosen:
        if name not in BENCHMARKS:
            raise SystemExit(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
    for name in chosen:
        BENCHMARKS[name]()
        print()


if __name__ == "__main__":
    main(sys.argv[1:])
