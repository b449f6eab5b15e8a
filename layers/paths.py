"""Where a layer's inputs are and where its builds go."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS_DIR = ROOT / "layers"
BUILD_DIR = LAYERS_DIR / "build"
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
NIJA_SRC = ROOT / "shared" / "nija"
# Subpackages of nija that stay out of every layer: the local stack (moto server, pollers, uvicorn)
# is for development only, and no Lambda function imports it.
NIJA_EXCLUDE = ("local",)
