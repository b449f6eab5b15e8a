"""`nija`: operator commands. `nija vault rewrap` re-seals every stored secret under fresh data keys."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def _rewrap(args: argparse.Namespace) -> int:
    from nija import wiring

    before = datetime.fromisoformat(args.before) if args.before else datetime.now(UTC)
    if before.tzinfo is None:
        before = before.replace(tzinfo=UTC)
    print(f"re-wrapping every secret sealed before {before.isoformat()}", flush=True)
    print(f"(to resume after an interruption: nija vault rewrap --before {before.isoformat()})", flush=True)
    count = wiring.vault_service().rewrap_all(
        before, on_progress=lambda m: print(f"  {m.user_id} {m.broker.value}", flush=True)
    )
    print(f"re-wrapped {count} secret(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nija", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    vault = commands.add_parser("vault", help="the secure API vault").add_subparsers(
        dest="action", required=True
    )
    rewrap = vault.add_parser("rewrap", help="re-seal every stored secret under a fresh data key (resumable)")
    rewrap.add_argument("--before", help="only secrets sealed before this ISO time (default: now)")
    rewrap.set_defaults(run=_rewrap)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
