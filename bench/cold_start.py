"""Cold start: each function's handler module imported in a fresh process, beside `import boto3`
measured the same way in the same run. Target: trading_api at most 3x `import boto3`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.report import line, median

REPO = Path(__file__).resolve().parents[1]
RUNS = 15

IMPORT_HANDLER = """
import importlib.util, sys, time
t = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", {path!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
print(time.perf_counter() - t)
"""
IMPORT_BOTO3 = "import time; t = time.perf_counter(); import boto3; print(time.perf_counter() - t)"


def timed(code: str) -> float:
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(REPO / "shared"),
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "0",
    }
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1]) * 1000


def main() -> None:
    print(f"Cold start: handler module import in a fresh process, median of {RUNS} (ms)")
    functions = sorted(p.parent.name for p in (REPO / "functions").glob("*/handler.py"))
    codes = {"boto3": IMPORT_BOTO3} | {
        fn: IMPORT_HANDLER.format(path=str(REPO / "functions" / fn / "handler.py")) for fn in functions
    }
    for code in codes.values():
        timed(code)  # warm the file cache and bytecode
    # Interleave the runs so that load from elsewhere on the machine hits every figure alike.
    samples: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(RUNS):
        for name, code in codes.items():
            samples[name].append(timed(code))
    boto3_ms = median(samples["boto3"])
    print(line("import boto3 (baseline)", boto3_ms, "ms", "-", None))
    for fn in functions:
        ms = median(samples[fn])
        ratio = ms / boto3_ms
        if fn == "trading_api":
            print(line(f"{fn} ({ratio:.2f}x boto3)", ms, "ms", "<= 3.00x boto3", ratio <= 3))
        else:
            print(line(f"{fn} ({ratio:.2f}x boto3)", ms, "ms", "reported", None))


if __name__ == "__main__":
    main()
