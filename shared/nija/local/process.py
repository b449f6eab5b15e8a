"""The local stack as a user starts it (`python -m nija.local`), in a subprocess on free ports: for
the end-to-end tests and the benchmarks that drive it over HTTP."""

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
from typing import IO

import httpx

from nija.local.identity import ADMIN_TOTP
from nija.local.stack import free_port


@dataclass(frozen=True)
class LocalStack:
    api: str
    aws: str
    proc: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)  # its stdout and stderr so far, line by line

    def admin_totp_secret(self) -> str:
        """The local admin's TOTP secret, as the banner prints it."""
        found = ADMIN_TOTP.search("".join(self.output))
        if found is None:
            raise RuntimeError("the local stack's banner names no admin TOTP secret")
        return found.group(1)

    def stop(self) -> None:
        """Ctrl-C, as a user stops it; killed if it has not stopped within 15 s."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _read(proc: subprocess.Popen[str], output: list[str], log: IO[str] | None) -> None:
    """Keep reading the stack's output: unread, a full pipe would block its next line."""
    assert proc.stdout is not None
    for line in proc.stdout:
        output.append(line)
        if log is not None:
            log.write(line)
            log.flush()


def start_stack(*options: str, log: str | None = None, timeout_s: float = 90) -> LocalStack:
    """`python -m nija.local` on free ports, with these options of its command line, once its API
    answers; `log`: a file that gets its output too."""
    api_port, aws_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "NIJA_"))}
    proc = subprocess.Popen(  # noqa: S603 - this interpreter, our module, our options
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
    sink = open(log, "w") if log else None  # noqa: SIM115 - written as long as the stack runs
    reader = threading.Thread(target=_read, args=(proc, output, sink), daemon=True)
    reader.start()
    stack = LocalStack(f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{aws_port}", proc, output)
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            reader.join(timeout=5)
            raise RuntimeError("the local stack exited early:\n" + "".join(output))
        try:
            if httpx.get(f"{stack.api}/health", timeout=1).status_code == 200:
                return stack
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise TimeoutError(f"the local stack did not come up within {timeout_s:.0f} s")
        time.sleep(0.2)


@contextmanager
def running_stack(*options: str) -> Iterator[LocalStack]:
    stack = start_stack(*options)
    try:
        yield stack
    finally:
        stack.stop()
