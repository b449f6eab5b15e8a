"""The cache keys of a layer's builds: hashes of everything that goes into them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from layers.bytecode import bytecode_key
from layers.paths import CONSTRAINTS, NIJA_EXCLUDE, NIJA_SRC
from layers.recipes import LAYERS, Layer
from layers.targets import LAMBDA, Target

# Bump to invalidate every cached build after a change to how layers are assembled.
RECIPE_VERSION = "4"


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
        bytecode_key(target).encode(),
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


def layer_hash(layer: Layer, target: Target = LAMBDA) -> str:
    """The cache key of the finished asset; the CDK uses it as the asset hash too."""
    parts = [deps_hash(layer, target).encode()]
    if layer.include_nija:
        parts.append(",".join(NIJA_EXCLUDE).encode())
        for path in nija_files():
            parts += [path.as_posix().encode(), (NIJA_SRC / path).read_bytes()]
    return _digest(parts)
