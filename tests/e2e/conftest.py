"""The local stack as a user starts it (`python -m nija.local`), in a subprocess on free ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from nija.local.stack import free_port


@dataclass(frozen=True)
class Stack:
    api: str
    aws: str
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # its stdout and stderr so far, line by line


def _read(proc: subprocess.Popen[str], output: list[str]) -> None:
    """Keep reading the stack's output: unread, a full pipe would block its next line."""
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that stops the stack with Ctrl-C runs after every other test that uses it."""
    items.sort(key=lambda item: item.name == "test_ctrl_c_stops_everything")


@contextmanager
def running_stack(*options: str) -> Iterator[Stack]:
    """`python -m nija.local` on free ports, with these options of its command line."""
    api_port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NIJA_"))}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nija.local",
            "--api-port",
            str(api_port),
            "--aws-port",
            str(aws_port),
            *options,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=_read, args=(proc, output), daemon=True)
    reader.start()
    api = f"http://127.0.0.1:{api_port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            reader.join(timeout=5)
            raise RuntimeError("the local stack exited early:\n" + "".join(output))
        try:
            if httpx.get(f"{api}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError("the local stack did not come up within 60 s")
        time.sleep(0.2)
    try:
        yield Stack(api=api, aws=f"http://127.0.0.1:{aws_port}", proc=proc, output=output)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    with running_stack("--sync-every", "0.5") as running:
        yield running
