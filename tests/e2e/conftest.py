"""The local stack as a user starts it (`python -m nija.local`), in a subprocess on free ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nija.local.process import LocalStack as Stack
from nija.local.process import running_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that stops the stack with Ctrl-C runs after every other test that uses it."""
    items.sort(key=lambda item: item.name == "test_ctrl_c_stops_everything")


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack("--sync-every", "0.5") as running:
        yield running
