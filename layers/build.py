"""Build Lambda layers for python3.12 on arm64 without Docker.

A layer is a recipe: requirements files, optionally the shared ``nija`` package, a base layer whose
distributions it leaves out, and pruning steps (e.g. a ccxt layer trimmed to one exchange). pip
resolves manylinux aarch64 wheels pinned by .ci/constraints.txt into ``<asset>/python``; the result
is compiled to bytecode by a python3.12 (unchecked-hash .pyc files, see ``_compile``). Results are
cached under ``layers/build``:

- ``layers/build/.deps/<name>-<hash>``: the pip install, keyed by requirements, constraints and recipe;
- ``layers/build/<name>-<hash>``: the layer asset, keyed by the above plus the nija sources.

So editing nija re-copies a few files, and only a change of dependencies runs pip again.

The same recipes build for this machine (``--host``: its Python, its platform) under
``layers/build/host-<python>-<machine>/``: tests import the layers as deployed, and benchmarks time
the import, without a Lambda at hand.

    python layers/build.py              # build every layer for Lambda and print its folder
    python layers/build.py common       # build one
    python layers/build.py --host       # build every layer for this machine
"""

from __future__ import annotations

import argparse
import functools
import glob
import hashlib
import os
import platform
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS_DIR = ROOT / "layers"
BUILD_DIR = LAYERS_DIR / "build"
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
NIJA_SRC = ROOT / "shared" / "nija"
# Subpackages of nija that stay out of every layer: the local stack (moto server, pollers, uvicorn)
# is for development only, and no Lambda function imports it.
NIJA_EXCLUDE = ("local",)

PYTHON_VERSION = "3.12"
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): newer manylinux tags are safe too.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")
# Bump to invalidate every cached build after a change to how layers are assembled.
RECIPE_VERSION = "4"

# The runtime provides these; shipping a second copy only costs size and can shadow its version.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

# The exchanges NIJA trades through ccxt (nija.adapters.brokers.ccxt_client.EXCHANGE_IDS; a test
# checks the two agree). Each gets a layer of its own: ccxt-<exchange>.
CCXT_EXCHANGES = ("coinbase", "kraken", "binance")

Pruner = Callable[[Path], None]


@dataclass(frozen=True)
class Target:
    """What a build is for: the Python version and platform of its wheels and its bytecode."""

    name: str
    python_version: str
    # pip --platform tags; empty: the running interpreter's own (a host build).
    platforms: tuple[str, ...]
    build_dir: Path

    @property
    def is_host(self) -> bool:
        return not self.platforms

    def key(self) -> str:
        if self.is_host:
            return f"host:{sysconfig.get_platform()}:{sys.implementation.cache_tag}"
        return f"{self.python_version}:{','.join(self.platforms)}"


LAMBDA = Target("lambda", PYTHON_VERSION, PLATFORMS, BUILD_DIR)


@functools.cache
def host() -> Target:
    """This machine: the interpreter running the build, e.g. ``host-cpython-311-x86_64``."""
    name = f"host-{sys.implementation.cache_tag}-{platform.machine()}"
    return Target(name, f"{sys.version_info[0]}.{sys.version_info[1]}", (), BUILD_DIR / name)


@dataclass(frozen=True)
class Layer:
    name: str
    requirements: tuple[Path, ...]
    description: str
    include_nija: bool = False
    # pip --no-deps: the requirements list every distribution the layer needs (ccxt: its sync
    # client's dependencies, not the aiohttp stack that only ccxt.async_support and ccxt.pro use).
    no_deps: bool = False
    # A layer deployed beside this one in every function: distributions it holds are left out here.
    base: str | None = None
    exclude: tuple[str, ...] = RUNTIME_PROVIDED
    prune: tuple[Pruner, ...] = field(default=())
    # Part of the cache key: describe what the pruners do, so changing them rebuilds.
    prune_key: str = ""


# ---------------------------------------------------------------------------------------------
# Pruners

CCXT_INIT = '''\
# -*- coding: utf-8 -*-
"""CCXT, trimmed for a NIJA Lambda layer (layers/build.py) to: {names}.

The upstream ccxt/__init__.py imports every exchange (~100 modules); this one imports the base
classes, the errors and the exchanges above. Every other exchange, ccxt.async_support, ccxt.pro and
the tests are not in this layer.
"""

__version__ = {version!r}

from ccxt.base.exchange import Exchange  # noqa: F401
from ccxt.base.precise import Precise  # noqa: F401
from ccxt.base.decimal_to_precision import (  # noqa: F401
    DECIMAL_PLACES,
    NO_PADDING,
    PAD_WITH_ZERO,
    ROUND,
    ROUND_DOWN,
    ROUND_UP,
    SIGNIFICANT_DIGITS,
    TICK_SIZE,
    TRUNCATE,
    decimal_to_precision,
)
from ccxt.base import errors  # noqa: F401
from ccxt.base.errors import *  # noqa: F401,F403  (errors.__all__: BaseError and its subclasses)

{imports}

exchanges = {exchanges!r}

base = [
    'Exchange',
    'Precise',
    'exchanges',
    'decimal_to_precision',
]

__all__ = base + errors.__all__ + exchanges
'''

# What stays of the ccxt package besides the kept exchanges' modules: the sync base classes, and
# static_dependencies (pure Python, <1 MB, imported lazily by some base methods).
CCXT_KEEP = ("__init__.py", "base", "static_dependencies", "abstract")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def trim_ccxt(site: Path, exchanges: tuple[str, ...]) -> None:
    """Keep only ``exchanges`` of ccxt: their modules and abstract APIs, the sync base classes, and a
    new ``ccxt/__init__.py`` that imports nothing else."""
    package = site / "ccxt"
    upstream = (package / "__init__.py").read_text()
    version = re.search(r"^__version__ = '([^']+)'", upstream, re.MULTILINE)
    if version is None:
        raise RuntimeError("ccxt/__init__.py has no __version__: the trimming recipe needs a look")
    for exchange in exchanges:
        for module in (package / f"{exchange}.py", package / "abstract" / f"{exchange}.py"):
            if not module.is_file():
                raise RuntimeError(f"ccxt {version[1]} has no {module.relative_to(site)}")
        if f"from ccxt.{exchange} import {exchange} " not in upstream:
            raise RuntimeError(f"ccxt {version[1]} does not export the exchange {exchange}")
    keep = {*CCXT_KEEP, *(f"{exchange}.py" for exchange in exchanges)}
    for entry in package.iterdir():
        if entry.name not in keep:
            _remove(entry)
    keep_abstract = {"__init__.py", *(f"{exchange}.py" for exchange in exchanges)}
    for entry in (package / "abstract").iterdir():
        if entry.name not in keep_abstract:
            _remove(entry)
    for tests in [p for p in package.rglob("*") if p.is_dir() and p.name in ("test", "tests")]:
        shutil.rmtree(tests, ignore_errors=True)
    init = package / "__init__.py"
    init.unlink()  # never write through a hard link
    init.write_text(
        CCXT_INIT.format(
            names=", ".join(exchanges),
            version=version[1],
            imports="\n".join(f"from ccxt.{e} import {e}  # noqa: F401" for e in exchanges),
            exchanges=list(exchanges),
        )
    )


def keep_ccxt_exchanges(*exchanges: str) -> Pruner:
    return functools.partial(trim_ccxt, exchanges=exchanges)


ALPACA_REQUESTS = Path("alpaca", "trading", "requests.py")
PANDAS_IMPORT = "import pandas as pd\n"
LAZY_PANDAS = '''\
class _LazyPandas:
    """NIJA layer (layers/build.py): pandas loads on first use, not with the trading module.
    Only GetCorporateAnnouncementsRequest's validator uses it (pd.Timestamp)."""

    def __getattr__(self, name):
        import pandas

        return getattr(pandas, name)


pd = _LazyPandas()
'''


def lazy_pandas_in_alpaca_trading(site: Path) -> None:
    """alpaca.trading.requests imports pandas (~0.5 s) for one validator that NIJA never runs; the
    rest of alpaca.trading (client, models, enums) never touches pandas. Import it on first use."""
    path = site / ALPACA_REQUESTS
    text = path.read_text()
    if text.count(PANDAS_IMPORT) != 1 or text.count("pd.") != 2 or "from pandas" in text:
        raise RuntimeError(f"{ALPACA_REQUESTS} uses pandas differently now: the lazy import needs a look")
    path.unlink()
    path.write_text(text.replace(PANDAS_IMPORT, LAZY_PANDAS))


def drop_tests(*packages: str) -> Pruner:
    """Remove the test suites that ship inside ``packages`` (pandas/tests alone is ~30 MB)."""

    def prune(site: Path) -> None:
        for package in packages:
            for tests in [p for p in (site / package).rglob("tests") if p.is_dir()]:
                shutil.rmtree(tests, ignore_errors=True)

    return prune


# ---------------------------------------------------------------------------------------------
# Recipes


def _ccxt_layer(name: str, exchanges: tuple[str, ...]) -> Layer:
    return Layer(
        name,
        (LAYERS_DIR / "ccxt" / "requirements.txt",),
        description=f"NIJA {name}: ccxt trimmed to {', '.join(exchanges)}, requests",
        no_deps=True,
        base="common",
        prune=(keep_ccxt_exchanges(*exchanges),),
        prune_key=f"ccxt:{','.join(exchanges)}",
    )


LAYERS: dict[str, Layer] = {
    "common": Layer(
        "common",
        (LAYERS_DIR / "common" / "requirements.txt",),
        description="NIJA common: powertools, pydantic, fastapi, mangum, pynamodb, pyjwt, nija",
        include_nija=True,
    ),
    # One per ccxt broker, for its executor.
    **{f"ccxt-{e}": _ccxt_layer(f"ccxt-{e}", (e,)) for e in CCXT_EXCHANGES},
    # Every ccxt broker: trading_api checks a user's keys against any of them.
    "ccxt": _ccxt_layer("ccxt", CCXT_EXCHANGES),
    "alpaca": Layer(
        "alpaca",
        (LAYERS_DIR / "alpaca" / "requirements.txt",),
        description="NIJA alpaca: alpaca-py (pandas loaded on first use), pandas, numpy, requests",
        base="common",
        prune=(lazy_pandas_in_alpaca_trading, drop_tests("pandas", "numpy")),
        prune_key="alpaca:lazy-pandas;drop-tests:pandas,numpy",
    ),
}


# Each executor's layers besides common, by broker (nija.domain.models.BrokerName's values): its
# broker's client library, and of ccxt only its exchange. The paper broker needs none.
EXECUTOR_LAYERS: dict[str, tuple[str, ...]] = {
    **{exchange: (f"ccxt-{exchange}",) for exchange in CCXT_EXCHANGES},
    "alpaca": ("alpaca",),
    "paper": (),
}
# trading_api checks a user's keys with the broker's own client (nija.adapters.brokers.key_check).
TRADING_API_LAYERS = ("ccxt", "alpaca")


# ---------------------------------------------------------------------------------------------
# Bytecode

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


def _bytecode_key(target: Target) -> str:
    python = bytecode_python(target)
    return f"pyc:{PYC_MODE}:{target.python_version}" if python else "pyc:none"


def _compile(folder: Path, target: Target, *, site: Path) -> None:
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


# ---------------------------------------------------------------------------------------------
# Building


def _digest(parts: Iterable[bytes]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(len(part).to_bytes(8, "big"))
        h.update(part)
    return h.hexdigest()[:16]


def _source_files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in {".pyc", ".pyo"}
    )


def deps_hash(layer: Layer, target: Target = LAMBDA) -> str:
    parts = [
        RECIPE_VERSION.encode(),
        target.key().encode(),
        _bytecode_key(target).encode(),
        ",".join(layer.exclude).encode(),
        layer.prune_key.encode(),
        b"no-deps" if layer.no_deps else b"deps",
        CONSTRAINTS.read_bytes(),
    ]
    parts += [requirements.read_bytes() for requirements in layer.requirements]
    if layer.base:
        parts.append(deps_hash(LAYERS[layer.base], target).encode())
    return _digest(parts)


def nija_files() -> list[Path]:
    """The nija sources a layer ships (everything but ``NIJA_EXCLUDE``), relative to ``NIJA_SRC``."""
    return [
        path.relative_to(NIJA_SRC)
        for path in _source_files(NIJA_SRC)
        if path.relative_to(NIJA_SRC).parts[0] not in NIJA_EXCLUDE
    ]


def _ignore_in_nija(directory: str, names: list[str]) -> set[str]:
    """``copytree``'s ignore: caches anywhere, and the excluded subpackages at the top of nija."""
    ignored = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
    if Path(directory).resolve() == NIJA_SRC.resolve():
        ignored |= set(names) & set(NIJA_EXCLUDE)
    return ignored


def layer_hash(layer: Layer, target: Target = LAMBDA) -> str:
    """The cache key of the finished asset; the CDK uses it as the asset hash too."""
    parts = [deps_hash(layer, target).encode()]
    if layer.include_nija:
        parts.append(",".join(NIJA_EXCLUDE).encode())
        for path in nija_files():
            parts += [path.as_posix().encode(), (NIJA_SRC / path).read_bytes()]
    return _digest(parts)


def _pip_install(layer: Layer, target: Target, site: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    if not target.is_host:
        cmd += [arg for platform_tag in target.platforms for arg in ("--platform", platform_tag)]
        cmd += ["--implementation", "cp", "--python-version", target.python_version]
    cmd += ["--only-binary=:all:", "--target", str(site), "-c", str(CONSTRAINTS)]
    if layer.no_deps:
        cmd.append("--no-deps")
    for requirements in layer.requirements:
        cmd += ["-r", str(requirements)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"pip failed for layer {layer.name}:\n{result.stdout}\n{result.stderr}")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def distributions(site: Path) -> dict[str, str]:
    """``{normalised name: version}`` of the distributions installed in a --target folder."""
    found = {}
    for info in site.glob("*.dist-info"):
        name, version = info.name.removesuffix(".dist-info").rsplit("-", 1)
        found[_normalise(name)] = version
    return found


def _remove_distribution(site: Path, dist: str) -> None:
    """Uninstall a distribution from a --target folder by its RECORD, as pip would."""
    for info in site.glob("*.dist-info"):
        if _normalise(info.name.removesuffix(".dist-info").rsplit("-", 1)[0]) != _normalise(dist):
            continue
        for line in (info / "RECORD").read_text().splitlines():
            path = (site / line.split(",")[0]).resolve()
            if path.is_relative_to(site.resolve()) and path.is_file():
                path.unlink()
        shutil.rmtree(info, ignore_errors=True)
    for directory in sorted(
        (d for d in site.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True
    ):
        if not any(directory.iterdir()):
            directory.rmdir()


def _leave_out_base(site: Path, layer: Layer, base_site: Path) -> None:
    """Remove what the base layer already holds: the same distribution at the same version (the
    constraints pin both). Lambda puts every layer of a function on one path, so it is found there."""
    base = distributions(base_site)
    for dist, version in distributions(site).items():
        if dist not in base:
            continue
        if base[dist] != version:
            raise RuntimeError(
                f"layer {layer.name} resolved {dist} {version}, its base {layer.base} has {base[dist]}"
            )
        _remove_distribution(site, dist)


def _clean(site: Path, layer: Layer) -> None:
    for dist in layer.exclude:
        _remove_distribution(site, dist)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: useless in a layer
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for prune in layer.prune:
        prune(site)


def _publish(tmp: Path, final: Path) -> None:
    """Move a finished build into place atomically; a concurrent builder may have won the race."""
    try:
        os.rename(tmp, final)
    except OSError:
        if not final.exists():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _drop_stale(name: str, keep: Path) -> None:
    """Remove older builds of the same layer so the cache does not grow without bound."""
    pattern = re.compile(rf"{re.escape(name)}-[0-9a-f]{{16}}")
    for old in keep.parent.iterdir():
        if old != keep and old.is_dir() and pattern.fullmatch(old.name):
            shutil.rmtree(old, ignore_errors=True)


def _build_deps(layer: Layer, target: Target) -> Path:
    deps = target.build_dir / ".deps" / f"{layer.name}-{deps_hash(layer, target)}"
    if deps.is_dir():
        return deps
    base = _build_deps(LAYERS[layer.base], target) if layer.base else None
    deps.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{layer.name}-", dir=deps.parent))
    _pip_install(layer, target, tmp)
    _clean(tmp, layer)
    if base is not None:
        _leave_out_base(tmp, layer, base)
    _compile(tmp, target, site=tmp)
    _publish(tmp, deps)
    _drop_stale(layer.name, deps)
    return deps


def build(name: str, target: Target = LAMBDA) -> tuple[Path, str]:
    """Build (or reuse) the layer ``name``; return the asset folder and its content hash."""
    layer = LAYERS[name]
    digest = layer_hash(layer, target)
    asset = target.build_dir / f"{name}-{digest}"
    if asset.is_dir():
        return asset, digest
    deps = _build_deps(layer, target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.build_dir))
    # Hard links: the asset costs no extra disk and takes milliseconds to assemble.
    shutil.copytree(deps, tmp / "python", copy_function=os.link)
    if layer.include_nija:
        shutil.copytree(NIJA_SRC, tmp / "python" / "nija", ignore=_ignore_in_nija)
        _compile(tmp / "python" / "nija", target, site=tmp / "python")
    _publish(tmp, asset)
    _drop_stale(name, asset)
    return asset, digest


def runtime_dir(target: Target) -> Path:
    """For a host build: a folder standing in for what the Lambda runtime provides (boto3, botocore,
    s3transfer), linked to this interpreter's copies. Put it on the path after the layers."""
    if not target.is_host:
        raise ValueError("the Lambda runtime provides its own")
    import importlib.util

    folder = target.build_dir / "runtime"
    folder.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_PROVIDED:
        link = folder / name
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"{name} is not installed here: the host runtime stand-in needs it")
        source = Path(next(iter(spec.submodule_search_locations)))
        if not link.is_symlink() or link.resolve() != source.resolve():
            link.unlink(missing_ok=True)
            link.symlink_to(source, target_is_directory=True)
    return folder


def python_path(names: Iterable[str], target: Target) -> list[Path]:
    """The import path of a function that has the layers ``names`` (in order), built for ``target``:
    each layer's ``python`` folder (Lambda puts them all at /opt/python), then, for a host build,
    the runtime stand-in."""
    path = [build(name, target)[0] / "python" for name in names]
    if target.is_host:
        path.append(runtime_dir(target))
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "names", nargs="*", metavar="name", help=f"layers to build (default: all of {list(LAYERS)})"
    )
    parser.add_argument("--host", action="store_true", help="build for this machine, not for Lambda")
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layer(s): {sorted(unknown)}")
    target = host() if args.host else LAMBDA
    for name in args.names or LAYERS:
        asset, _ = build(name, target)
        print(f"{name}: {asset.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
