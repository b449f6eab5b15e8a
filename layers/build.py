"""Build Lambda layers for python3.12 on arm64 without Docker.

A layer is a recipe: requirements files, optionally the shared ``nija`` package, a base layer whose
distributions it leaves out, and pruning steps (e.g. a ccxt layer trimmed to one exchange). pip
resolves manylinux aarch64 wheels pinned by .ci/constraints.txt into ``<asset>/python``; the result
is compiled to bytecode by a python3.12 (unchecked-hash .pyc files, see ``layers/bytecode.py``).
Results are cached under ``layers/build``:

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
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

if not __package__:
    # Run as a script (python layers/build.py): its folder is on sys.path, the repository root is not.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from layers.bytecode import compile_bytecode
from layers.cache_keys import deps_hash, layer_hash
from layers.dependencies import clean, leave_out_base, pip_install
from layers.paths import NIJA_EXCLUDE, NIJA_SRC, ROOT
from layers.recipes import LAYERS, RUNTIME_PROVIDED, Layer
from layers.targets import LAMBDA, Target, host


def _ignore_in_nija(directory: str, names: list[str]) -> set[str]:
    """``copytree``'s ignore: caches anywhere, and the excluded subpackages at the top of nija."""
    ignored = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".pyo"))}
    if Path(directory).resolve() == NIJA_SRC.resolve():
        ignored |= set(names) & set(NIJA_EXCLUDE)
    return ignored


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
    pip_install(layer, target, tmp)
    clean(tmp, layer)
    if base is not None:
        leave_out_base(tmp, layer, base)
    compile_bytecode(tmp, target, site=tmp)
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
        compile_bytecode(tmp / "python" / "nija", target, site=tmp / "python")
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
