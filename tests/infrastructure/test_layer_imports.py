"""The layers work as deployed: each executor's layers, built for this machine by the same recipes
(layers/build.py --host), are the only packages on the path of a fresh ``python -S`` (no
site-packages; the runtime's boto3 stands beside them as Lambda's would). There the executor's
handler imports, its broker's adapter builds a client through nija's own code, and that client signs
a request exactly as the full library in the development venv does (layer_smoke.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cdk_synth import ROOT

from infra_cdk.constructs.functions import broker_layers
from layers.build import python_path
from layers.recipes import CCXT_EXCHANGES, TRADING_API_LAYERS
from layers.targets import host
from nija.catalogue import BROKERS
from nija.domain.models import BrokerName

# Its own group: host builds and subprocesses run beside the CDK synthesis on the other worker.
pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("layers-host")]

SMOKE = Path(__file__).with_name("layer_smoke.py")
EXECUTOR = ROOT / "functions" / "executor" / "handler.py"
TRADING_API = ROOT / "functions" / "trading_api" / "handler.py"


CLIENT_BROKERS = [b for b in BROKERS if b is not BrokerName.PAPER]


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    """A fresh P-256 key for coinbase (ES256), the same in both runs of a comparison."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return {
        "private": key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "public": key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode(),
    }


def smoke(
    brokers: list[BrokerName],
    keys: dict[str, str],
    *,
    layers: tuple[str, ...] | None,
    handler: Path = EXECUTOR,
) -> dict[str, Any]:
    """layer_smoke.py for ``brokers`` in one process: on the host build of ``layers`` (and common),
    or, with None, in this venv with the full libraries."""
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1",  # /opt is read only in Lambda
        "NIJA_SMOKE_HANDLER": str(handler),
        "NIJA_SMOKE_PEM": keys["private"],
        "NIJA_SMOKE_PUBLIC": keys["public"],
    }
    cmd = [sys.executable]
    if layers is None:
        env["PYTHONPATH"] = str(ROOT / "shared")
    else:
        path = python_path(["common", *layers], host())
        env["PYTHONPATH"] = os.pathsep.join(map(str, path))
        cmd.append("-S")  # no site-packages: only the layers (and the runtime's boto3)
    cmd += [str(SMOKE), *(b.value for b in brokers)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    report: dict[str, Any] = json.loads(out.stdout.splitlines()[-1])
    return report


@pytest.fixture(scope="module")
def full(keys: dict[str, str]) -> dict[str, Any]:
    """Every broker's request, signed by the full libraries of the development venv."""
    return smoke(CLIENT_BROKERS, keys, layers=None)


@pytest.mark.parametrize("broker", BROKERS, ids=str)
def test_executor_imports_and_signs_with_its_layers_only(
    broker: BrokerName, keys: dict[str, str], full: dict[str, Any]
) -> None:
    deployed = smoke([broker], keys, layers=broker_layers(broker))[broker.value]
    assert deployed["adapter"] == {"paper": "PaperBroker", "alpaca": "AlpacaBroker"}.get(broker, "CcxtBroker")
    if broker is BrokerName.PAPER:
        return
    assert deployed["requests"], deployed
    assert deployed["requests"] == full[broker.value]["requests"]  # same request and signature
    host_dir = str(host().build_dir)
    if broker is BrokerName.ALPACA:
        assert deployed["alpaca_file"].startswith(host_dir)
        assert deployed["pandas_loaded"] is False  # full alpaca-py: True
        assert full[broker.value]["pandas_loaded"] is True
        assert deployed["pandas_loaded_after_validator"] is True
    else:
        assert deployed["ccxt_file"].startswith(host_dir)
        assert not full[broker.value]["ccxt_file"].startswith(host_dir)
        assert deployed["ccxt_exchanges"] == deployed["ccxt_exports"] == [broker.value]
        assert deployed["ccxt_modules_loaded"] < 20 < full[broker.value]["ccxt_modules_loaded"]
    if broker is BrokerName.COINBASE:
        (request,) = deployed["requests"]
        assert request["jwt"]["uri"] == "GET api.coinbase.com/api/v3/brokerage/accounts"


def test_trading_api_layers_check_keys_for_every_broker(keys: dict[str, str], full: dict[str, Any]) -> None:
    """trading_api (its own handler) signs with any broker's client, for the vault's key check."""
    deployed = smoke(CLIENT_BROKERS, keys, layers=TRADING_API_LAYERS, handler=TRADING_API)
    for broker in CLIENT_BROKERS:
        assert deployed[broker.value]["requests"] == full[broker.value]["requests"], broker
    assert deployed["kraken"]["ccxt_exports"] == sorted(CCXT_EXCHANGES)
