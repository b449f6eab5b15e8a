"""The unit tests' fixtures: a Cognito client answered by botocore's Stubber (no network, no moto)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from nija.adapters import cognito
from nija.config import reset_settings


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    idp = boto3.client("cognito-idp", region_name="us-east-1")
    monkeypatch.setattr(cognito, "client", lambda name: idp)
    monkeypatch.setenv("NIJA_USER_POOL_ID", "us-east-1_pool")
    monkeypatch.setenv("NIJA_USER_POOL_CLIENT_ID", "client")
    reset_settings()
    with Stubber(idp) as stubber:
        yield stubber
    reset_settings()
