"""A layer's dependencies: pip installs them into a folder, which then loses what the Lambda runtime
or the layer's base already provides, and what its pruners remove."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from layers.paths import CONSTRAINTS
from layers.recipes import Layer
from layers.targets import Target


def pip_install(layer: Layer, target: Target, site: Path) -> None:
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


def leave_out_base(site: Path, layer: Layer, base_site: Path) -> None:
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


def clean(site: Path, layer: Layer) -> None:
    for dist in layer.exclude:
        _remove_distribution(site, dist)
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts: useless in a layer
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for prune in layer.prune:
        prune(site)
