"""Shared fixtures. Unit tests need none of these; integration tests run the real code on moto."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

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
    # In-process moto serves the regional endpoints, not the account-based ones botocore picks for a
    # request naming an account (a stream ARN: <account>.streams-ddb.<region>.amazonaws.com).
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
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


@pytest.fixture
def audit_writer(aws: None) -> Callable[[], None]:
    """The audit writer function over the state table's stream: call it to append every outbox event
    written so far to its chain, as the deployed event source would (a failure is not retried here)."""
    import threading

    from nija.local.stack import audit_writer_poller

    return audit_writer_poller(threading.Event(), "test", retries=0).drain


@pytest.fixture(autouse=True)
def _members(request: pytest.FixtureRequest) -> None:
    """`@pytest.mark.members(id, …)`: active profiles for these users on moto, as sign-up leaves
    them. Every write for a user needs one (nija.domain.standing), as in the platform."""
    marker = request.node.get_closest_marker("members")
    if marker is None:
        return
    from members import member

    request.getfixturevalue("aws")
    member(*marker.args)
