"""`make bench`: every benchmark, each figure printed beside its target."""

from __future__ import annotations

import sys

from bench import cold_start, latency

BENCHMARKS = {"cold_start": cold_start.main, "latency": latency.main}


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
