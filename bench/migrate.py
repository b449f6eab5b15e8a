"""`nija migrate` of a generated legacy installation with 1,000 users onto the local stack (started
on free ports, as `make run` starts it): seconds for the plan and for the apply, as an operator
runs them (the CLI, its report written). Target (issue 17): apply ≤ 60 s.

The installation: 600 users in retail_kraken.json with their keys in .env, 250 in
retail_alpaca.json with theirs in .env (PAPER set for half), 150 SaaS users in users.db with Kraken
keys in vault.db; emails.csv for all. Every key check answers from the brokers' recorded responses
(tests/fixtures/brokers), as in the tests: nothing reaches an exchange, the rest is the real path
(Cognito invitations, profiles with API keys, KMS + Secrets Manager sealing, settings, audit).

The stack's open-order sync runs at its deployed rate, once a minute (`--sync-every 60`; the local
default is every 2 s for a lively demo): each sync reconciles every user with keys for its broker
(all credential metadata read from one index partition, each user's secret opened), so at 2 s the
stack spends its moto server on 1,000 users' reconciliation while they are being imported."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

from bench.pipeline import start_stack
from bench.report import line

USERS = int(os.environ.get("NIJA_BENCH_MIGRATE_USERS", "1000"))
KRAKEN, ALPACA = USERS * 6 // 10, USERS // 4  # the rest: SaaS users with vault.db rows
TARGET_S = 60.0
WORKERS = os.environ.get("NIJA_BENCH_MIGRATE_WORKERS")  # users at once; unset: the CLI's default
TESTS = Path(__file__).resolve().parents[1] / "tests"


def generate(root: Path) -> Path:
    """The installation under root/legacy; returns the emails.csv path."""
    from cryptography.fernet import Fernet

    legacy = root / "legacy"
    (legacy / "config/users").mkdir(parents=True)
    key = Fernet.generate_key()
    env = [f"VAULT_ENCRYPTION_KEY={key.decode()}", "ENABLE_KRAKEN_USER_TRADING=true"]
    kraken, alpaca, emails = [], [], ["user_id,email"]
    for n in range(KRAKEN):
        user = f"kraken_user{n:04d}"
        kraken.append({"user_id": user, "name": user, "account_type": "retail", "broker_type": "kraken"})
        secret = base64.b64encode(f"bench-kraken-secret-{n:04d}".encode()).decode()
        env += [
            f"KRAKEN_USER_{user.upper()}_API_KEY=K-{n:06d}",
            f"KRAKEN_USER_{user.upper()}_API_SECRET={secret}",
        ]
        emails.append(f"{user},{user}@bench.example.com")
    for n in range(ALPACA):
        user = f"alpaca_user{n:04d}"
        alpaca.append({"user_id": user, "name": user, "account_type": "retail", "broker_type": "alpaca"})
        env += [
            f"ALPACA_USER_{user.upper()}_API_KEY=PK{n:06d}",
            f"ALPACA_USER_{user.upper()}_API_SECRET=s-{n:04d}",
        ]
        env += [f"ALPACA_USER_{user.upper()}_PAPER=true"] if n % 2 else []
        emails.append(f"{user},{user}@bench.example.com")
    (legacy / ".env").write_text("\n".join(env) + "\n")
    (legacy / "config/users/retail_kraken.json").write_text(json.dumps(kraken))
    (legacy / "config/users/retail_alpaca.json").write_text(json.dumps(alpaca))
    fernet = Fernet(key)
    with (
        closing(sqlite3.connect(legacy / "vault.db")) as vault,
        closing(sqlite3.connect(legacy / "users.db")) as users,
    ):
        vault.execute(
            "CREATE TABLE credentials (id INTEGER PRIMARY KEY, user_id TEXT, broker TEXT, api_key_encrypted TEXT,"
            " api_secret_encrypted TEXT, additional_params_encrypted TEXT, UNIQUE(user_id, broker))"
        )
        users.execute(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, user_id TEXT UNIQUE, email TEXT UNIQUE,"
            " subscription_tier TEXT, enabled INTEGER)"
        )
        for n in range(USERS - KRAKEN - ALPACA):
            user = f"user_{n:016x}"
            secret = base64.b64encode(f"bench-saas-secret-{n:04d}".encode())
            vault.execute(
                "INSERT INTO credentials (user_id, broker, api_key_encrypted, api_secret_encrypted) VALUES (?,?,?,?)",
                (
                    user,
                    "kraken",
                    fernet.encrypt(f"K-SAAS-{n:06d}".encode()).decode(),
                    fernet.encrypt(secret).decode(),
                ),
            )
            users.execute(
                "INSERT INTO users (user_id, email, subscription_tier, enabled) VALUES (?,?,?,1)",
                (user, f"saas{n:04d}@bench.example.com", ("basic", "pro", "enterprise")[n % 3]),
            )
        vault.commit()
        users.commit()
    (root / "emails.csv").write_text("\n".join(emails) + "\n")
    return root / "emails.csv"


def nija_migrate(mode: str, root: Path, emails: Path, aws: str) -> tuple[float, dict[str, object]]:
    """One CLI run in this process, its summary for people swallowed; (seconds, JSON report)."""
    from nija.cli import main

    out = root / f"{mode}.json"
    argv = ["migrate", mode, str(root / "legacy"), "--emails", str(emails), "--out", str(out)]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main([*argv, "--aws-endpoint", aws, *(["--workers", WORKERS] if WORKERS else [])])
    seconds = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"nija migrate {mode} exited {code}")
    return seconds, json.loads(out.read_text())


def main() -> None:
    sys.path.insert(0, str(TESTS))  # the brokers' recorded answers
    from fixtures.brokers.answers import Answers

    from nija.adapters.brokers import override_client_settings

    stack = start_stack("--sync-every", os.environ.get("NIJA_BENCH_MIGRATE_SYNC", "60"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            emails = generate(root)
            os.chdir(root)  # the email outbox (invitations) goes under it
            endpoint = stack.aws
            answers = Answers()
            with override_client_settings(adapter=answers, enable_rate_limit=False):
                plan_s, _plan = nija_migrate("plan", root, emails, endpoint)
                apply_s, applied = nija_migrate("apply", root, emails, endpoint)
                again_s, again = nija_migrate("plan", root, emails, endpoint)
            summary = applied["summary"]
            assert isinstance(summary, dict) and isinstance(again["summary"], dict)
            print(
                f"nija migrate: {USERS} legacy users onto the local stack ({len(answers.requests)} key-check requests)"
            )
            print(line("plan (files + a look-up per user)", plan_s, "s", "reported", None))
            print(
                line(
                    "apply (invite, profile, seal keys, settings, audit)",
                    apply_s,
                    "s",
                    f"<= {TARGET_S:.0f} s",
                    apply_s <= TARGET_S,
                )
            )
            print(line("plan again (nothing left to do)", again_s, "s", "reported", None))
            print(
                f"  apply made {summary['made']} step(s), {summary['pending']} pending; plan again: to_do {again['summary']['to_do']}"
            )
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
