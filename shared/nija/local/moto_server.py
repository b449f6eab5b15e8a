"""The moto server the local stack runs: moto as shipped, with transactions and queries whose cost
does not grow with the table (nija.local.moto_transactions, nija.local.moto_queries)."""

from __future__ import annotations


def install() -> None:
    """Apply the fixes in this process (the server, or in-process `mock_aws` in tests and benches)."""
    from nija.local import moto_queries, moto_transactions

    moto_transactions.install()
    moto_queries.install()


def main() -> None:
    """`python -m nija.local.moto_server -H host -p port`."""
    install()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
