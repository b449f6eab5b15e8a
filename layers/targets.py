"""What a layer is built for: Lambda (python3.12 on arm64), or this machine (``--host``)."""

from __future__ import annotations

import functools
import platform
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from layers.paths import BUILD_DIR

PYTHON_VERSION = "3.12"
# Lambda's python3.12 runs on Amazon Linux 2023 (glibc 2.34): newer manylinux tags are safe too.
PLATFORMS = ("manylinux2014_aarch64", "manylinux_2_28_aarch64")


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
