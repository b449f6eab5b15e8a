"""layers/build.py: the layers are built for Lambda (arm64, py3.12), cached by their inputs, compiled
to bytecode Lambda can use, and each broker layer holds its client library and nothing the common
layer already has; the ccxt layers hold one exchange each."""

from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest
from cdk_synth import ROOT

from layers.build import build as build_layer
from layers.bytecode import bytecode_python
from layers.cache_keys import layer_hash, nija_files
from layers.dependencies import distributions
from layers.paths import BUILD_DIR
from layers.pruners import ALPACA_REQUESTS, PANDAS_IMPORT
from layers.recipes import CCXT_EXCHANGES, EXECUTOR_LAYERS, LAYERS, TRADING_API_LAYERS
from layers.targets import LAMBDA
from nija.adapters.brokers.ccxt_client import EXCHANGE_IDS
from nija.catalogue import BROKERS

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

BROKER_LAYERS = [name for name in LAYERS if name != "common"]
CCXT_LAYERS = {f"ccxt-{e}": (e,) for e in CCXT_EXCHANGES} | {"ccxt": CCXT_EXCHANGES}
# Every exchange module of the ccxt distribution that no layer may carry (a sample of the ~100).
OTHER_EXCHANGES = ("okx", "bybit", "kucoin", "coinbaseexchange", "binanceus", "krakenfutures")


@pytest.fixture(scope="module")
def common() -> tuple[Path, str]:
    return build_layer("common")


def site(name: str) -> Path:
    return build_layer(name)[0] / "python"


def test_common_layer_is_cached_by_hash(common: tuple[Path, str]) -> None:
    folder, digest = common
    assert folder == BUILD_DIR / f"common-{digest}"
    assert digest == layer_hash(LAYERS["common"])
    assert build_layer("common") == common  # second call reuses the folder


def test_common_layer_content(common: tuple[Path, str]) -> None:
    site = common[0] / "python"
    for package in (
        "aws_lambda_powertools",
        "pydantic",
        "pydantic_settings",
        "fastapi",
        "mangum",
        "pynamodb",
    ):
        assert (site / package).is_dir(), package
    assert (site / "jwt").is_dir() and (site / "cryptography").is_dir()
    assert (site / "nija" / "catalogue.py").read_bytes() == (ROOT / "shared/nija/catalogue.py").read_bytes()


def test_common_layer_has_arm64_py312_binaries(common: tuple[Path, str]) -> None:
    site = common[0] / "python"
    (core,) = (site / "pydantic_core").glob("_pydantic_core.*.so")
    assert core.name.endswith("cpython-312-aarch64-linux-gnu.so"), core.name


def test_common_layer_leaves_out_what_lambda_provides(common: tuple[Path, str]) -> None:
    site = common[0] / "python"
    names = {p.name.split("-")[0].lower() for p in site.iterdir()}
    assert not names & {"boto3", "botocore", "s3transfer", "bin"}


def test_common_layer_leaves_out_the_local_stack(common: tuple[Path, str]) -> None:
    """nija.local (moto server, pollers, uvicorn) is for development; no function imports it."""
    site = common[0] / "python"
    assert (ROOT / "shared/nija/local/__init__.py").is_file()
    assert not (site / "nija" / "local").exists()
    shipped = {
        p.relative_to(site / "nija")
        for p in site.joinpath("nija").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert shipped == set(nija_files())
    assert not any(p.parts[0] == "local" for p in nija_files())


@pytest.mark.parametrize("name", list(LAYERS))
def test_every_module_ships_with_bytecode_lambda_uses(name: str) -> None:
    """/opt is read only: a module without its .pyc is compiled at every cold start. The zip resets
    file times, so each .pyc is unchecked-hash (PEP 552: flags 0b01) and made by a CPython 3.12."""
    if bytecode_python(LAMBDA) is None:
        pytest.skip("no python3.12 on this machine: the layers ship sources only (build.py warned)")
    root = site(name)
    sources = [p for p in root.rglob("*.py") if p.parent.name != "__pycache__"]
    assert sources
    missing = [p for p in sources if not (p.parent / "__pycache__" / f"{p.stem}.cpython-312.pyc").is_file()]
    assert not missing, missing[:5]
    stray = [p for p in root.rglob("*.pyc") if not p.name.endswith(".cpython-312.pyc")]
    assert not stray, stray[:5]
    for pyc in [p.parent / "__pycache__" / f"{p.stem}.cpython-312.pyc" for p in sources[:50]]:
        header = pyc.read_bytes()[:8]
        assert int.from_bytes(header[:2], "little") == 3531 and header[2:4] == b"\r\n", pyc  # 3.12 magic
        assert int.from_bytes(header[4:8], "little") == 0b01, pyc  # hash-based, source never checked


def test_every_ccxt_exchange_of_nija_has_its_layer() -> None:
    assert set(CCXT_EXCHANGES) == set(EXCHANGE_IDS.values())
    assert set(EXECUTOR_LAYERS) == {b.value for b in BROKERS}
    for broker, exchange in EXCHANGE_IDS.items():
        assert EXECUTOR_LAYERS[broker.value] == (f"ccxt-{exchange}",)
    for names in [*EXECUTOR_LAYERS.values(), TRADING_API_LAYERS]:
        assert set(names) <= set(LAYERS) - {"common"}


@pytest.mark.parametrize("name", list(CCXT_LAYERS))
def test_ccxt_layer_holds_its_exchanges_only(name: str) -> None:
    package = site(name) / "ccxt"
    kept = CCXT_LAYERS[name]
    modules = {p.name for p in package.iterdir() if p.name != "__pycache__"}
    assert modules == {"__init__.py", "base", "static_dependencies", "abstract", *(f"{e}.py" for e in kept)}
    abstract = {p.name for p in (package / "abstract").iterdir() if p.name != "__pycache__"}
    assert abstract == {"__init__.py", *(f"{e}.py" for e in kept)}
    for other in OTHER_EXCHANGES:
        assert not list(package.rglob(f"{other}.py")), other
    assert not list(package.rglob("test")) and not list(package.rglob("tests"))
    assert not (package / "async_support").exists() and not (package / "pro").exists()


@pytest.mark.parametrize("name", list(CCXT_LAYERS))
def test_trimmed_ccxt_init_imports_its_exchanges_only(name: str) -> None:
    init = site(name) / "ccxt" / "__init__.py"
    imported = {
        node.module
        for node in ast.walk(ast.parse(init.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported == {
        "ccxt.base.exchange",
        "ccxt.base.precise",
        "ccxt.base.decimal_to_precision",
        "ccxt.base",
        "ccxt.base.errors",
        *(f"ccxt.{e}" for e in CCXT_LAYERS[name]),
    }
    assert len(init.read_text()) < 3000  # the upstream one: ~25 kB, one import per exchange


@functools.cache
def _ccxt_imports(source: bytes) -> frozenset[str]:
    """Every ccxt module a source imports (absolute imports, in functions too); parsed once per
    content, since the ccxt layers share most files."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return frozenset(m for m in found if m.split(".")[0] == "ccxt")


@pytest.mark.parametrize("name", list(CCXT_LAYERS))
def test_every_ccxt_import_in_the_trimmed_tree_resolves_inside_it(name: str) -> None:
    """Static check of every ``import ccxt.x`` / ``from ccxt.x import y`` in the layer (lazy ones in
    functions too): each names a module or package the layer still has."""
    root = site(name)
    unresolved = set()
    for path in (root / "ccxt").rglob("*.py"):
        for module in _ccxt_imports(path.read_bytes()):
            as_path = root.joinpath(*module.split("."))
            if not (as_path.with_suffix(".py").is_file() or (as_path / "__init__.py").is_file()):
                unresolved.add(f"{path.relative_to(root)}: {module}")
    assert not unresolved, sorted(unresolved)


@pytest.mark.parametrize("name", BROKER_LAYERS)
def test_broker_layer_holds_nothing_of_the_common_layer(name: str) -> None:
    """Lambda puts every layer of a function on one path; the common layer's packages are there."""
    common, layer = site("common"), site(name)
    mine = distributions(layer)
    assert not set(mine) & set(distributions(common))
    assert not {p.name for p in layer.iterdir()} & {p.name for p in common.iterdir()} - {"__pycache__"}
    assert not {"boto3", "botocore", "s3transfer", "bin"} & {p.name for p in layer.iterdir()}


@pytest.mark.parametrize("name", list(CCXT_LAYERS))
def test_ccxt_layer_has_the_sync_client_and_not_the_async_stack(name: str) -> None:
    dists = distributions(site(name))
    assert {"ccxt", "requests", "certifi", "charset_normalizer", "orjson"} <= set(dists)
    assert not {"aiohttp", "yarl", "multidict", "uvloop", "zlib_ng", "coincurve"} & set(dists)
    (orjson,) = (site(name) / "orjson").glob("orjson.*.so")
    assert orjson.name.endswith("cpython-312-aarch64-linux-gnu.so"), orjson.name


def test_alpaca_layer_loads_pandas_on_first_use_only() -> None:
    root = site("alpaca")
    assert {"alpaca_py", "pandas", "requests", "websockets", "msgpack"} <= set(distributions(root))
    assert "numpy" in distributions(site("common"))  # the strategy code's; pandas uses it there
    requests_py = (root / ALPACA_REQUESTS).read_text()
    assert PANDAS_IMPORT not in requests_py and "pd = _LazyPandas()" in requests_py
    assert not list((root / "pandas").rglob("tests"))
