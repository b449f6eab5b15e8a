"""layers/build.py: the common layer is built for Lambda (arm64, py3.12) and cached by its inputs."""

from __future__ import annotations

from pathlib import Path

import pytest
from cdk_synth import ROOT

from layers import build as layer_build

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]


@pytest.fixture(scope="module")
def common() -> tuple[Path, str]:
    return layer_build.build("common")


def test_common_layer_is_cached_by_hash(common: tuple[Path, str]) -> None:
    folder, digest = common
    assert folder == layer_build.BUILD_DIR / f"common-{digest}"
    assert digest == layer_build.layer_hash(layer_build.LAYERS["common"])
    assert layer_build.build("common") == common  # second call reuses the folder


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
    assert not list(site.rglob("__pycache__"))
    assert not list(site.rglob("*.pyc"))


def test_common_layer_leaves_out_the_local_stack(common: tuple[Path, str]) -> None:
    """nija.local (moto server, pollers, uvicorn) is for development; no function imports it."""
    site = common[0] / "python"
    assert (ROOT / "shared/nija/local/__init__.py").is_file()
    assert not (site / "nija" / "local").exists()
    shipped = {p.relative_to(site / "nija") for p in site.joinpath("nija").rglob("*") if p.is_file()}
    assert shipped == set(layer_build.nija_files())
    assert not any(p.parts[0] == "local" for p in layer_build.nija_files())
