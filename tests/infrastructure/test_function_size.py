"""Every function fits Lambda's limits as synthesized: its code asset plus the assets of its layers,
unzipped, stay under 250 MB, with at most 5 layers; where two of its layers hold the same file, it is
the same file (Lambda extracts them over each other into /opt, so the order must not matter).

The assets are the folders the CDK zips (from the cloud assembly's asset manifest): the layers that
layers/build.py built for Lambda (cached by input hash, so a re-run builds nothing) and each
function's folder with the same exclusions as NijaFunction's."""

from __future__ import annotations

import fnmatch
import functools
import json
from pathlib import Path
from typing import Any

import pytest
from cdk_synth import Synth, resources

from infra_cdk.constructs.functions import ASSET_EXCLUDE

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

MB = 1024 * 1024
UNZIPPED_LIMIT = 250 * MB  # function code and all its layers, unzipped
MAX_LAYERS = 5


def _excluded(relative: Path, patterns: list[str]) -> bool:
    text = relative.as_posix()
    return any(
        fnmatch.fnmatch(text, pattern)
        or fnmatch.fnmatch(relative.name, pattern)
        or any(part == pattern for part in relative.parts)
        or (pattern.startswith("**/") and any(fnmatch.fnmatch(p, pattern[3:]) for p in relative.parts))
        for pattern in patterns
    )


@functools.cache
def _files(folder: Path, exclude: tuple[str, ...] = ()) -> dict[Path, int]:
    """What the asset's zip holds: every regular file (relative path: size), exclusions applied."""
    found = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if path.is_file() and not path.is_symlink() and not _excluded(relative, list(exclude)):
            found[relative] = path.stat().st_size
    return found


def _assets(synth: Synth) -> dict[str, Path]:
    """S3 object key of each file asset of the service stack -> the folder the CDK zips into it."""
    manifest = json.loads((synth.outdir / f"{synth.nija.service.artifact_id}.assets.json").read_text())
    return {
        f"{asset_hash}.zip": Path(asset["source"]["path"])
        for asset_hash, asset in manifest["files"].items()
        if asset["source"].get("packaging") == "zip"
    }


def _artifacts(synth: Synth) -> dict[str, dict[str, Any]]:
    """Function name -> its code folder and its layers' folders (in the template's order)."""
    template = synth.service_json
    assets = _assets(synth)
    found = {}
    for fn in resources(template, "AWS::Lambda::Function").values():
        props = fn["Properties"]
        layers = []
        for ref in props.get("Layers", []):
            layer = template["Resources"][ref["Ref"]]["Properties"]
            layers.append((layer["LayerName"], assets[layer["Content"]["S3Key"]]))
        found[props["FunctionName"]] = {"code": assets[props["Code"]["S3Key"]], "layers": layers}
    return found


@pytest.fixture(scope="module")
def artifacts(dev: Synth) -> dict[str, dict[str, Any]]:
    return _artifacts(dev)


def test_every_function_fits_in_lambda_unzipped(artifacts: dict[str, dict[str, Any]]) -> None:
    report, over = [], []
    for name, artifact in sorted(artifacts.items()):
        code = sum(_files(artifact["code"], tuple(ASSET_EXCLUDE)).values())
        layers = [(layer, sum(_files(folder).values())) for layer, folder in artifact["layers"]]
        total = code + sum(size for _, size in layers)
        parts = ", ".join(f"{layer.split('-', 2)[-1]} {size / MB:.1f}" for layer, size in layers)
        report.append(f"{name:<28} {total / MB:6.1f} MB  (code {code / 1024:.0f} kB; layers: {parts})")
        if total >= UNZIPPED_LIMIT:
            over.append(name)
    print("\nUnzipped size per function, code plus layers (limit 250 MB):\n  " + "\n  ".join(report))
    assert not over, over


def test_every_function_has_at_most_five_layers(artifacts: dict[str, dict[str, Any]]) -> None:
    assert all(len(a["layers"]) <= MAX_LAYERS for a in artifacts.values())


# pip's own bookkeeping: whether a distribution was asked for or came as a dependency (REQUESTED,
# and RECORD, which lists it). Nothing imports them.
INSTALLER_RECORDS = ("RECORD", "REQUESTED")


def test_layers_of_a_function_never_disagree_on_a_file(artifacts: dict[str, dict[str, Any]]) -> None:
    for name, artifact in artifacts.items():
        seen: dict[Path, tuple[str, Path]] = {}
        for layer, folder in artifact["layers"]:
            for relative in _files(folder):
                if relative.parent.suffix == ".dist-info" and relative.name in INSTALLER_RECORDS:
                    continue
                if relative in seen:
                    other, other_folder = seen[relative]
                    assert (folder / relative).read_bytes() == (other_folder / relative).read_bytes(), (
                        f"{name}: {relative} differs between {other} and {layer}"
                    )
                seen[relative] = (layer, folder)


def test_the_size_count_follows_the_function_asset_exclusions(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "handler.cpython-312.pyc").write_text("x")
    (tmp_path / ".gitkeep").write_text("")
    (tmp_path / "handler.py").write_text("def handler(e, c): ...\n")
    assert set(_files(tmp_path, tuple(ASSET_EXCLUDE))) == {Path("handler.py")}
