"""Synthesize the CDK app once per stage per test session and share the templates.

Every test here carries ``xdist_group("cdk")`` so that ``--dist loadgroup`` puts them on one worker,
which then synthesizes each stage exactly once.
"""

from __future__ import annotations

import pytest
from cdk_synth import Synth, synthesize


@pytest.fixture(scope="session")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev"))


@pytest.fixture(scope="session")
def prod(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    return synthesize("prod", tmp_path_factory.mktemp("cdk-prod"))


@pytest.fixture(scope="session")
def dev_timestream(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """dev with the `timestream` flag on (Timestream for LiveAnalytics, for the accounts that have it)."""
    return synthesize("dev", tmp_path_factory.mktemp("cdk-dev-timestream"), timestream="true")
