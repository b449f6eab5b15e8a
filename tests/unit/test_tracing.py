"""nija.observability's tracer, each case in a fresh interpreter (patching is process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("handler", "functions/trading_api/handler.py")
spec.loader.exec_module(importlib.util.module_from_spec(spec))
patched = sorted(sys.modules["aws_xray_sdk.core.patcher"]._PATCHED_MODULES) if "aws_xray_sdk.core.patcher" in sys.modules else None
print(json.dumps({"xray": "aws_xray_sdk.core" in sys.modules, "patched": patched}))
"""


def probe(**env: str) -> dict[str, object]:
    base = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO / "shared"), "AWS_REGION": "us-east-1"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=base | env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "env",
    [{"POWERTOOLS_TRACE_DISABLED": "true", "LAMBDA_TASK_ROOT": "/var/task"}, {}],
    ids=["disabled", "outside-lambda"],
)
def test_no_tracer_and_no_xray_sdk_where_tracing_is_off(env: dict[str, str]) -> None:
    assert probe(**env) == {"xray": False, "patched": None}


def test_in_lambda_only_botocore_and_httplib_are_patched() -> None:
    assert probe(LAMBDA_TASK_ROOT="/var/task", AWS_LAMBDA_FUNCTION_NAME="nija-dev-trading-api") == {
        "xray": True,
        "patched": ["botocore", "httplib"],
    }
