"""Shared fixtures. Unit tests need none of these; integration tests run the real code on moto."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Fake credentials before anything builds a client: no test can reach a real AWS account.
for _key, _value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "NIJA",
    "POWERTOOLS_SERVICE_NAME": "nija-test",
}.items():
    os.environ[_key] = _value
os.environ.pop("NIJA_AWS_ENDPOINT_URL", None)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In-process moto with the catalogue's tables, queues and vault key for stage 'test'."""
    from moto import mock_aws

    from nija.config import get_settings, reset_settings
    from nija.local import moto_server
    from nija.local.provision import create_vault_key, provision_data_plane

    moto_server.install()  # moto as the local stack runs it
    monkeypatch.setenv("NIJA_STAGE", "test")
    reset_settings()
    with mock_aws():
        provision_data_plane(get_settings().catalogue)
        monkeypatch.setenv("NIJA_VAULT_KEY_ID", create_vault_key(get_settings().catalogue))
        reset_settings()
        yield
    reset_settings()
