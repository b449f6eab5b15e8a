"""Executor cold import per broker, as deployed, beside a full `import ccxt` in the same run.

An executor deployment imports its handler, then, for its first order, its broker's adapter and the
client library under it: ccxt's one exchange module (ccxt_client.exchange_class) or alpaca-py's
trading client. Here both run in a fresh `python -S` whose path is what Lambda gives the function:
functions/executor, then its layers built for this machine by the deployed recipes (common and the
broker's layer: layers/build.py --host), then boto3 as the runtime provides it. No bytecode is
written, as on Lambda's read-only /opt: the layers bring their own. `import ccxt` runs in the
development venv (the full ccxt, compiled). Medians of RUNS interleaved fresh processes.

Target: an executor's cold import (handler + adapter + client library) at most 0.5x `import ccxt`.
Each is printed with the broker's part of it (adapter + client library, after the handler), which
is what its layer decides, against the same target; then the handler alone (the same in every
executor, the paper one included), and kraken's broker part with the full ccxt of the venv in place
of its trimmed layer, for comparison.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.report import line, median

REPO = Path(__file__).resolve().parents[1]
HANDLER = REPO / "functions" / "executor" / "handler.py"
RUNS = 11
TARGET = 0.5

IMPORT_EXECUTOR = """
import importlib.util, time
t0 = time.perf_counter()
spec = importlib.util.spec_from_file_location("handler", {handler!r})
m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
t1 = time.perf_counter()
{broker_code}
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""
CCXT_BROKER = """
import nija.adapters.brokers.ccxt_broker
from nija.adapters.brokers.ccxt_client import exchange_class
from nija.domain.models import BrokerName
exchange_class(BrokerName({broker!r}))
"""
ALPACA_BROKER = """
import nija.adapters.brokers.alpaca_broker
from alpaca.trading.client import TradingClient  # what alpaca_client.build_trading_client imports
"""
PAPER_BROKER = "import nija.adapters.paper.broker"
IMPORT_CCXT = "import time; t = time.perf_counter(); import ccxt; print(time.perf_counter() - t)"

ENV = {
    "PATH": "/usr/bin:/bin",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "executor",
    "PYTHONDONTWRITEBYTECODE": "1",
}


def _broker_code(broker: str) -> str:
    if broker == "alpaca":
        return ALPACA_BROKER
    if broker == "paper":
        return PAPER_BROKER
    return CCXT_BROKER.format(broker=broker)


def _env(path: list[Path], broker: str) -> dict[str, str]:
    return ENV | {"PYTHONPATH": os.pathsep.join(map(str, path)), "NIJA_BROKER": broker}


def _deployed_path(broker: str) -> list[Path]:
    """/var/task, then the function's layers as the CDK app gives them, then the runtime's boto3."""
    from layers.build import python_path
    from layers.recipes import EXECUTOR_LAYERS
    from layers.targets import host

    layers = ["common", *EXECUTOR_LAYERS[broker]]
    return [HANDLER.parent, *python_path(layers, host())]


def _untrimmed_path(broker: str) -> list[Path]:
    """The same, with the venv's full ccxt (and its requirements) in place of the broker's layer."""
    from layers.build import python_path
    from layers.targets import host

    site = Path(next(p for p in sys.path if p.endswith("site-packages") and "ccxt" in os.listdir(p)))
    return [HANDLER.parent, *python_path(["common"], host()), site]


def _run(cmd: list[str], env: dict[str, str]) -> list[float]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[:2]} failed:\n{out.stderr[-2000:]}")
    return [float(x) * 1000 for x in out.stdout.strip().splitlines()[-1].split()]


def _executor(broker: str, path: list[Path]) -> tuple[list[str], dict[str, str]]:
    code = IMPORT_EXECUTOR.format(handler=str(HANDLER), broker_code=_broker_code(broker))
    return [sys.executable, "-S", "-c", code], _env(path, broker)


def main() -> None:
    from nija.catalogue import BROKERS

    brokers = [b.value for b in BROKERS]
    jobs = {"ccxt": ([sys.executable, "-c", IMPORT_CCXT], ENV | {"PYTHONPATH": str(REPO / "shared")})}
    jobs |= {broker: _executor(broker, _deployed_path(broker)) for broker in brokers}
    jobs["kraken-untrimmed"] = _executor("kraken", _untrimmed_path("kraken"))
    for cmd, env in jobs.values():
        _run(cmd, env)  # warm the file cache
    # Interleave the runs so that load from elsewhere on the machine hits every figure alike.
    samples: dict[str, list[list[float]]] = {name: [] for name in jobs}
    for _ in range(RUNS):
        for name, (cmd, env) in jobs.items():
            samples[name].append(_run(cmd, env))

    print(f"Executor cold import as deployed (host build of its layers), median of {RUNS} (ms)")
    ccxt_ms = median([s[0] for s in samples["ccxt"]])
    target = f"<= {TARGET:.2f}x import ccxt"
    print(line("import ccxt, full (baseline, venv)", ccxt_ms, "ms", "-", None))
    for broker in brokers:
        total_ms = median([s[0] + s[1] for s in samples[broker]])
        broker_ms = median([s[1] for s in samples[broker]])
        what = {"alpaca": "alpaca.trading", "paper": "paper"}.get(broker, f"ccxt.{broker}")
        ratio = total_ms / ccxt_ms
        print(line(f"{broker}: handler + broker ({ratio:.2f}x)", total_ms, "ms", target, ratio <= TARGET))
        ratio = broker_ms / ccxt_ms
        print(line(f"  of which adapter + {what} ({ratio:.2f}x)", broker_ms, "ms", target, ratio <= TARGET))
    handler_ms = median([s[0] for broker in brokers for s in samples[broker]])
    print(
        line(f"handler alone, any broker ({handler_ms / ccxt_ms:.2f}x)", handler_ms, "ms", "reported", None)
    )
    untrimmed_ms = median([s[1] for s in samples["kraken-untrimmed"]])
    ratio = untrimmed_ms / ccxt_ms
    print(line(f"kraken, full ccxt: adapter + ccxt ({ratio:.2f}x)", untrimmed_ms, "ms", "reported", None))


if __name__ == "__main__":
    main()
