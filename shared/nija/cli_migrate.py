"""`nija migrate`: bring a legacy NIJA bot installation's users over.

    nija migrate plan  LEGACY_DIR --emails emails.csv [--out report.json]
    nija migrate apply LEGACY_DIR --emails emails.csv [--out report.json]

LEGACY_DIR is the legacy install root (.env, config/users/, vault.db, users.db); it is only read.
emails.csv (header `user_id,email`) gives each legacy user their address. `plan` changes nothing
anywhere: it reads the installation, looks each user up at the stage, writes the JSON report and
prints a summary. `apply` does what the plan says: safe to run again, and to stop and resume.

The stage is the local stack by default (its AWS endpoint, --aws-endpoint, default
http://127.0.0.1:$NIJA_AWS_PORT or 5055); `--stage dev|prod` uses the AWS credentials and NIJA_*
settings of the environment, and finds the user pool, vault key and tier plans by their names.
Exit status: 0 done, 1 something is pending (run apply again), 2 bad input or no stage.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nija.domain.migration import Report, Target, UserRow
    from nija.logic.migrate.migrator import Migrator

DEFAULT_OUT = "nija-migrate-{mode}.json"


class UsageError(Exception):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True)
    for mode, text in (
        ("plan", "report what an apply would do, changing nothing anywhere"),
        ("apply", "create the users, their broker keys and settings at the stage (repeatable, resumable)"),
    ):
        sub = actions.add_parser(mode, help=text, description=text)
        sub.add_argument("legacy_dir", metavar="LEGACY_DIR", help="the legacy install root (read only)")
        sub.add_argument("--emails", required=True, metavar="CSV", help="user_id,email for each legacy user")
        sub.add_argument(
            "--out", metavar="PATH", help=f"the JSON report (default {DEFAULT_OUT.format(mode=mode)})"
        )
        sub.add_argument("--stage", default="local", help="local (the local stack: default), dev, prod")
        sub.add_argument("--aws-endpoint", metavar="URL", help="the local stack's AWS endpoint (moto server)")
        sub.add_argument("--workers", type=int, default=8, help="users handled at once (default 8)")
        if mode == "plan":
            sub.add_argument("--offline", action="store_true", help="read the legacy files only; no stage")
        sub.set_defaults(run=run, mode=mode)


def _target(args: argparse.Namespace, legacy: Path) -> tuple[Migrator | None, Target, str | None]:
    """The stage's migrator, and what the report says of the stage; no migrator for an offline plan
    (or a plan when the local stack is not running: said in the report and on stderr)."""
    from nija.adapters.discover import discover
    from nija.config import get_settings, reset_settings
    from nija.domain.errors import ServiceUnavailable
    from nija.domain.migration import Target

    if getattr(args, "offline", False):
        return None, Target(), None
    if args.stage == "local":
        from nija.local.stack import configure_environment

        port = os.environ.get("NIJA_AWS_PORT", "5055")
        endpoint = args.aws_endpoint or os.environ.get("NIJA_AWS_ENDPOINT_URL") or f"http://127.0.0.1:{port}"
        configure_environment(endpoint, "local")  # fake credentials: nothing here reaches AWS
    else:
        os.environ["NIJA_STAGE"] = args.stage
        reset_settings()
    try:
        found = discover(get_settings().catalogue)
    except ServiceUnavailable as exc:
        if args.mode == "apply":
            raise UsageError(f"no stage to apply to: {exc.message}") from None
        return None, Target(), f"stage {args.stage} not reachable ({exc.message}): a plan of the files only"
    for name, value in found.items():
        # The local stack's ids are new at each start; a cloud stage's settings, when given, win.
        if args.stage == "local" or name not in os.environ:
            os.environ[name] = value
    reset_settings()
    settings = get_settings()
    if settings.email_mode == "record":
        outbox = Path(settings.email_outbox).resolve()
        if outbox.is_relative_to(legacy):
            raise UsageError(f"the email outbox {outbox} is inside LEGACY_DIR: run from another directory")
        invitations = f"recorded to {outbox} (the local stack sends no email)"
    else:
        invitations = "emailed by Cognito (the user pool's invitation message, with a temporary password)"
    from nija import wiring

    return wiring.migrator(), Target(stage=args.stage, checked=True, invitations=invitations), None


def run(args: argparse.Namespace) -> int:
    from nija.domain.errors import NijaError

    try:
        report = _run(args)
    except UsageError as exc:
        print(f"nija migrate {args.mode}: error: {exc}", file=sys.stderr)
        return 2
    except NijaError as exc:
        print(f"nija migrate {args.mode}: error: {exc.message}", file=sys.stderr)
        return 2
    errors = sum(u.state == "error" for u in report.users)
    if args.mode == "apply" and (report.summary.pending or errors):
        return 1
    return 0


def _run(args: argparse.Namespace) -> Report:
    from nija.adapters.legacy_install import LegacyTree
    from nija.domain.errors import InvalidInput
    from nija.logic.migrate.migrator import migrate
    from nija.logic.migrate.report import render

    legacy = Path(args.legacy_dir).resolve()
    if not legacy.is_dir():
        raise UsageError(f"{args.legacy_dir} is not a directory")
    out = Path(args.out or DEFAULT_OUT.format(mode=args.mode)).resolve()
    if out.is_relative_to(legacy):
        raise UsageError(f"--out {out} is inside LEGACY_DIR, which is never written: choose another place")
    try:
        emails = Path(args.emails).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --emails {args.emails}: {type(exc).__name__}") from None
    migrator, target, note = _target(args, legacy)
    if note:
        print(f"nija migrate {args.mode}: {note}", file=sys.stderr)
    try:
        report = migrate(args.mode, LegacyTree(legacy), emails, migrator, target, args.workers, _progress())
    except InvalidInput as exc:
        raise UsageError(exc.message) from None
    out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(render(report), end="", flush=True)
    print(f"report: {out}", flush=True)
    return report


def _progress() -> object:
    done, lock = [0], threading.Lock()

    def tick(row: UserRow) -> None:
        with lock:
            done[0] += 1
            if done[0] % 100 == 0:
                print(f"  {done[0]} users...", file=sys.stderr, flush=True)

    return tick
