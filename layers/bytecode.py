"""Bytecode for a layer's modules, compiled by a Python of its target's version."""

from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

from layers.targets import Target

# Lambda's /opt is read only: without .pyc files in the layer, every cold start compiles every
# module it imports from source (ccxt's binance.py alone is 780 kB). The zip that the CDK uploads
# resets every file time, so the .pyc files are unchecked-hash ones (PEP 552): used as they are,
# never compared with their sources (a layer's sources never change after it is built).
PYC_MODE = "unchecked-hash"
LAMBDA_SITE = "/opt/python"  # where Lambda puts a layer's python/ folder


def _python_version_of(python: str) -> str | None:
    try:
        out = subprocess.run(  # noqa: S603
            [python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


@functools.cache
def bytecode_python(target: Target) -> str | None:
    """An interpreter that compiles bytecode for ``target``: the running one for a host build; for
    Lambda a python3.12 ($NIJA_LAYER_PYTHON, python3.12 on PATH, or pyenv's). None: not found."""
    if target.is_host:
        return sys.executable
    candidates = [os.environ.get("NIJA_LAYER_PYTHON", ""), shutil.which(f"python{target.python_version}")]
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(
        glob.glob(os.path.join(pyenv_root, "versions", f"{target.python_version}.*", "bin", "python3")),
        reverse=True,
    )
    for python in filter(None, candidates):
        if _python_version_of(python) == target.python_version:
            return python
    return None


def bytecode_key(target: Target) -> str:
    python = bytecode_python(target)
    return f"pyc:{PYC_MODE}:{target.python_version}" if python else "pyc:none"


def compile_bytecode(folder: Path, target: Target, *, site: Path) -> None:
    """Compile every module under ``folder`` (part of the layer's ``site``), recording its path as
    Lambda will see it (/opt/python/...), so that the same source gives the same .pyc in any layer."""
    python = bytecode_python(target)
    if python is None:
        print(
            f"warning: no python{target.python_version} found to compile bytecode (set NIJA_LAYER_PYTHON): "
            "the layer ships sources only, and Lambda compiles them at every cold start",
            file=sys.stderr,
        )
        return
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    cmd = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", PYC_MODE]
    cmd += ["-s", str(site), "-p", LAMBDA_SITE, str(folder)]
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"compileall failed in {folder}:\n{result.stdout}\n{result.stderr}")
