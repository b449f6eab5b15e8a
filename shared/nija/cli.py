"""`nija`: operator commands. `nija vault rewrap` re-seals every stored secret under fresh data keys;
`nija queue redrive --broker B` moves a broker's dead-lettered order messages back to its queue;
`nija backtest` replays a strategy over historical candles (a CSV file, or fetched from a broker);
`nija audit flush-outbox` appends the audit outbox's events to their chains (each once), the repair
when the audit writer's event source dropped records (alarm audit-writer-dropped-records);
`nija audit anchor` anchors every chain's head now (as the hourly schedule does), and
`nija audit verify-anchors` checks that each anchor follows the one before and that every anchored
chain still holds its anchored head; `nija migrate plan|apply` brings a legacy NIJA bot
installation's users over (nija.cli_migrate)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from nija import cli_backtest, cli_migrate
from nija.domain.errors import Conflict
from nija.domain.models import BrokerName, instant

if TYPE_CHECKING:
    from nija.logic.audit_anchor import AuditAnchoring


def _rewrap(args: argparse.Namespace) -> int:
    from nija import wiring

    try:
        before = datetime.fromisoformat(args.before) if args.before else datetime.now(UTC)
        if before.tzinfo is None:
            before = before.replace(tzinfo=UTC)
        instant(before)  # in range; the value itself is kept as given (the resume line repeats it)
    except ValueError as exc:
        print(f"nija vault rewrap: error: --before: {exc}", file=sys.stderr)
        return 2
    print(f"re-wrapping every secret sealed before {before.isoformat()}", flush=True)
    print(f"(to resume after an interruption: nija vault rewrap --before {before.isoformat()})", flush=True)
    count = wiring.vault_service().rewrap_all(
        before, on_progress=lambda m: print(f"  {m.user_id} {m.broker.value}", flush=True)
    )
    print(f"re-wrapped {count} secret(s)")
    return 0


def _redrive(args: argparse.Namespace) -> int:
    from nija.adapters.sqs_queue import redrive
    from nija.config import get_settings

    moved = redrive(get_settings().catalogue, args.broker, args.max)
    print(f"moved {moved} message(s) from the {args.broker} DLQ back to its queue")
    return 0


def _flush_outbox(args: argparse.Namespace) -> int:
    from nija import wiring

    records = wiring.audit_records()
    subjects = [args.user] if args.user else records.outbox_subjects()
    total = 0
    for subject in subjects:
        appended = records.flush_outbox(subject)
        total += appended
        print(f"  {subject}: {appended} appended", flush=True)
    print(f"appended {total} event(s) of {len(subjects)} chain(s); the rest were in already")
    return 0


def _anchoring() -> AuditAnchoring:
    from nija import wiring

    anchoring = wiring.audit_anchoring()
    if anchoring is None:
        raise SystemExit("NIJA_AUDIT_ANCHOR_BUCKET is not set (the data stack's AuditAnchorBucket output)")
    return anchoring


def _anchor(args: argparse.Namespace) -> int:
    try:
        run = _anchoring().anchor()
    except Conflict as exc:
        print(f"not anchored: {exc}; the latest anchor is that run's")
        return 0
    print(f"anchored {len(run.anchor.heads)} chain(s) up to {run.anchor.cut.isoformat()} at {run.key}")
    print(f"digest {run.anchor.digest()}")
    for found in run.broken:
        print(f"BROKEN {found.subject} seq {found.seq}: {found.reason.value} (its old head is kept)")
    return 1 if run.broken else 0


def _verify_anchors(args: argparse.Namespace) -> int:
    anchors, wrong = _anchoring().check_history()
    if wrong is not None:
        print(f"BROKEN anchor history: {wrong}")
        return 1
    print(f"ok: {anchors} anchor(s), each following the one before")
    checked, found = _anchoring().check_all()
    if found is not None:
        print(f"BROKEN after {checked} chain(s): {found.subject} seq {found.seq}: {found.reason.value}")
        return 1
    print(f"ok: {checked} anchored chain(s) hold their anchored head")
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
    queue = commands.add_parser("queue", help="the order queues").add_subparsers(dest="action", required=True)
    redrive = queue.add_parser("redrive", help="move a broker's dead-lettered messages back to its queue")
    redrive.add_argument("--broker", required=True, choices=[b.value for b in BrokerName])
    redrive.add_argument("--max", type=int, default=1000, help="move at most this many")
    redrive.set_defaults(run=_redrive)
    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(dest="action", required=True)
    flush = audit.add_parser("flush-outbox", help="append the outbox's events to their chains (each once)")
    flush.add_argument("--user", help="one subject's (a user id); default: every subject's (scans the table)")
    flush.set_defaults(run=_flush_outbox)
    audit.add_parser(
        "anchor", help="anchor every chain's head now (the hourly schedule's work)"
    ).set_defaults(run=_anchor)
    audit.add_parser(
        "verify-anchors", help="check every anchored chain still holds its anchored head (exit 1: broken)"
    ).set_defaults(run=_verify_anchors)
    for name, module, text in (
        ("backtest", cli_backtest, "replay a strategy over historical candles, with fees and slippage"),
        ("migrate", cli_migrate, "bring a legacy NIJA bot installation's users over (plan, then apply)"),
    ):
        command = commands.add_parser(
            name, help=text, description=module.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
