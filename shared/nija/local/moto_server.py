"""The moto server the local stack runs: moto as shipped, with transactions and queries whose cost
does not grow with the table (nija.local.moto_transactions, nija.local.moto_queries), and item
writes applied one at a time.

DynamoDB applies a conditional write atomically. moto's server checks the condition and then writes,
in separate steps, on each request's own thread: two threads can both pass the same condition (it
shows within seconds under sys.setswitchinterval(1e-5)), and the order claims, circuit breakers and
request budgets all rest on that guarantee. One lock around moto's item writes gives it back, and
stream reads take it too, so nobody reads a transaction's stream records before it commits.

The server also remembers which backend serves a host: moto works it out again for every request,
under one lock, listing its own package directory (150 stat calls) and matching hundreds of URL
patterns, which was about 40 % of the server's CPU under the local stack's load.

And it keeps connections open between requests. Werkzeug's development server closes every one (its
handler cannot tell where an unread body ends), so each AWS call paid a new TCP connection and a new
server thread: under 1,000 users' import, the server's main thread spent most of its time starting
threads. Here the body is read whole before moto sees it, so the next request starts where it
should, and the connection stays open (a chunked request still closes it)."""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

_writes = threading.RLock()  # re-entrant: a transaction's writes go through put_item and friends

WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


def _one_at_a_time(write: Callable[..., Any]) -> Callable[..., Any]:
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _writes:
            return write(*args, **kwargs)

    locked.nija_atomic = True  # type: ignore[attr-defined]
    return locked


def install() -> None:
    """Apply the fixes in this process (the server, or in-process `mock_aws` in tests and benches)."""
    import moto.dynamodb.models as models

    from nija.local import moto_cognito, moto_queries, moto_secrets, moto_transactions

    moto_transactions.install()
    moto_queries.install()
    moto_cognito.install()
    moto_secrets.install()
    from moto.dynamodb.models.table import StreamShard

    with _writes:
        for name in WRITES:
            write = getattr(models.DynamoDBBackend, name)
            if not getattr(write, "nija_atomic", False):
                setattr(models.DynamoDBBackend, name, _one_at_a_time(write))
        # A stream reader must not see a transaction's records before it commits: a failed one
        # takes them back, and a reader that had read past them would skip the next real records.
        if not getattr(StreamShard.get, "nija_atomic", False):
            StreamShard.get = _one_at_a_time(StreamShard.get)  # type: ignore[method-assign]


def remember_backends() -> None:
    """Memoize DomainDispatcherApplication.get_backend_for_host: a pure function of the host (moto's
    installed modules and URL patterns), asked on every request."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    lookup = DomainDispatcherApplication.get_backend_for_host
    if getattr(lookup, "nija_remembered", False):
        return
    known: dict[str | None, Any] = {}

    def remembered(self: Any, host: str | None) -> Any:
        if host not in known:
            known[host] = lookup(self, host)
        return known[host]

    remembered.nija_remembered = True  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_backend_for_host = remembered  # type: ignore[method-assign]


def quiet() -> None:
    """No access log line per request: the local stack sends the server's output to /dev/null, and
    formatting and writing a line for each of its requests took about a tenth of its CPU."""
    import logging

    logging.getLogger("werkzeug").setLevel(logging.WARNING)


class _NothingToDrain:
    """Werkzeug drains the socket after each response, which is only safe on a connection it closes:
    on one kept open it would swallow the next request. The body is read whole beforehand here."""

    def register(self, *_: Any) -> None:
        pass

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        pass


def keep_alive_handler() -> type:
    import selectors
    from types import SimpleNamespace

    import werkzeug.serving
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    werkzeug.serving.selectors = SimpleNamespace(  # type: ignore[attr-defined]
        DefaultSelector=_NothingToDrain, EVENT_READ=selectors.EVENT_READ
    )

    class KeepAlive(MotoRequestHandler):  # type: ignore[misc]
        # A response goes out in several small writes: with Nagle's algorithm on a connection kept
        # open, the last waits for the client's delayed ACK (~40 ms a request).
        disable_nagle_algorithm = True

        def make_environ(self) -> dict[str, Any]:
            environ: dict[str, Any] = super().make_environ()
            if environ.get("wsgi.input_terminated"):  # chunked: werkzeug's way, then close
                self.keep_open = False
            else:
                length = int(environ.get("CONTENT_LENGTH") or 0)
                environ["wsgi.input"] = io.BytesIO(self.rfile.read(length) if length > 0 else b"")
                self.keep_open = True
            return environ

        def send_header(self, keyword: str, value: str) -> None:
            if (
                keyword.lower() == "connection"
                and value.lower() == "close"
                and getattr(self, "keep_open", False)
            ):
                return  # werkzeug's blanket close: this request's body was read whole
            super().send_header(keyword, value)

    return KeepAlive


def main() -> None:
    """`python -m nija.local.moto_server -H host -p port`: moto's server (its app, werkzeug's threaded
    server) with the fixes above."""
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))
    install()
    remember_backends()
    quiet()
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import run_simple

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=True, request_handler=keep_alive_handler())


if __name__ == "__main__":
    main()
