"""The moto server the local stack runs: moto as shipped, with transactions and queries whose cost
does not grow with the table (nija.local.moto_transactions, nija.local.moto_queries), and item
writes applied one at a time.

DynamoDB applies a conditional write atomically. moto's server checks the condition and then writes,
in separate steps, on each request's own thread: two threads can both pass the same condition (it
shows within seconds under sys.setswitchinterval(1e-5)), and the order claims, circuit breakers and
request budgets all rest on that guarantee. One lock around moto's item writes gives it back."""

from __future__ import annotations

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

    from nija.local import moto_queries, moto_transactions

    moto_transactions.install()
    moto_queries.install()
    with _writes:
        for name in WRITES:
            write = getattr(models.DynamoDBBackend, name)
            if not getattr(write, "nija_atomic", False):
                setattr(models.DynamoDBBackend, name, _one_at_a_time(write))


def main() -> None:
    """`python -m nija.local.moto_server -H host -p port`."""
    install()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
