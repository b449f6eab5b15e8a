"""Build Lambda layers for python3.12 on arm64 without Docker.

A layer is a recipe: a requirements file, optionally the shared ``nija`` package, and a pruning step
(e.g. a ccxt layer trimmed to one exchange). pip resolves manylinux aarch64 wheels pinned by
.ci/constraints.txt into ``<asset>/python``. Results are cached under ``layers/build``:

- ``layers/build/.deps/<name>-<hash>``: the pip install, keyed by requirements, constraints and recipe;
- ``layers/build/<name>-<hash>``: the layer asset, keyed by the above plus the nija sources.

So editing nija re-copies a few files, and only a change of dependencies runs pip again.

    python layers/build.py            # build every layer and print its folder
    python layers/build.py common     # build one
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
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
RECIPE_VERSION = "2"

# The runtime provides these; shipping a second copy only costs size and can shadow its version.
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

Pruner = Callable[[Path], None]


@dataclass(frozen=True)
class Layer:
    name: str
    requirements: Path
    include_nija: bool = False
    exclude: tuple[str, ...] = RUNTIME_PROVIDED
    prune: tuple[Pruner, ...] = field(default=())
    # Part of the cache key: describe what the pruners do, so changing them rebuilds.
    prune_key: str = ""


LAYERS: dict[str, Layer] = {
    "common": Layer("common", LAYERS_DIR / "common" / "requirements.txt", include_nija=True),
    # Later, one per broker, e.g.:
    # "ccxt-kraken": Layer("ccxt-kraken", LAYERS_DIR / "ccxt" / "requirements.txt",
    #                      prune=(keep_ccxt_exchanges("kraken"),), prune_key="ccxt:kraken"),
}


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


def deps_hash(layer: Layer) -> str:
    return _digest(
        [
            RECIPE_VERSION.encode(),
            PYTHON_VERSION.encode(),
            ",".join(PLATFORMS).encode(),
            ",".join(layer.exclude).encode(),
            layer.prune_key.encode(),
            layer.requirements.read_bytes(),
            CONSTRAINTS.read_bytes(),
        ]
    )


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


def layer_hash(layer: Layer) -> str:
    """The cache key of the finished asset; the CDK uses it as the asset hash too."""
    parts = [deps_hash(layer).encode()]
    if layer.include_nija:
        parts.append(",".join(NIJA_EXCLUDE).encode())
        for path in nija_files():
            parts += [path.as_posix().encode(), (NIJA_SRC / path).read_bytes()]
    return _digest(parts)


def _pip_install(layer: Layer, target: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    cmd += [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    cmd += ["--implementation", "cp", "--python-version", PYTHON_VERSION, "--only-binary=:all:"]
    cmd += ["--target", str(target), "-c", str(CONSTRAINTS), "-r", str(layer.requirements)]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise RuntimeError(f"pip failed for layer {layer.name}:\n{result.stdout}\n{result.stderr}")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


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


def _build_deps(layer: Layer) -> Path:
    deps = BUILD_DIR / ".deps" / f"{layer.name}-{deps_hash(layer)}"
    if deps.is_dir():
        return deps
    deps.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{layer.name}-", dir=deps.parent))
    _pip_install(layer, tmp)
    _clean(tmp, layer)
    _publish(tmp, deps)
    _drop_stale(layer.name, deps)
    return deps


def build(name: str) -> tuple[Path, str]:
    """Build (or reuse) the layer ``name``; return the asset folder and its content hash."""
    layer = LAYERS[name]
    digest = layer_hash(layer)
    asset = BUILD_DIR / f"{name}-{digest}"
    if asset.is_dir():
        return asset, digest
    deps = _build_deps(layer)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=BUILD_DIR))
    # Hard links: the asset costs no extra disk and takes milliseconds to assemble.
    shutil.copytree(deps, tmp / "python", copy_function=os.link)
    if layer.include_nija:
        shutil.copytree(NIJA_SRC, tmp / "python" / "nija", ignore=_ignore_in_nija)
    _publish(tmp, asset)
    _drop_stale(name, asset)
    return asset, digest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "names", nargs="*", metavar="name", help=f"layers to build (default: all of {list(LAYERS)})"
    )
    args = parser.parse_args(argv)
    unknown = set(args.names) - set(LAYERS)
    if unknown:
        parser.error(f"unknown layer(s): {sorted(unknown)}")
    for name in args.names or LAYERS:
        asset, _ = build(name)
        print(f"{name}: {asset.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
