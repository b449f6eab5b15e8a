"""`nija migrate plan` on the legacy files alone (--offline): the report in full for an installation
with every legacy format, Alpaca's paper flag, first-name collisions, the PEM secret, and the rules:
the legacy tree is never written, and no secret reaches the report, the output or a log line."""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from legacy_install import Install, entry, snapshot, standard

from nija.adapters.legacy_install import LegacyTree
from nija.cli import main
from nija.domain.credentials import CoinbaseCredentials
from nija.domain.migration import Code
from nija.logic.migrate.plan import build

EXPECTED = Path(__file__).parents[1] / "fixtures" / "migrate" / "standard_plan.json"


@pytest.fixture
def install(tmp_path: Path) -> Install:
    return standard(tmp_path / "legacy")


def plan(
    capsys: pytest.CaptureFixture[str], install: Install, *extra: str
) -> tuple[int, dict[str, Any], str]:
    out = install.root.parent / "report.json"
    argv = [
        "migrate",
        "plan",
        str(install.root),
        "--emails",
        str(install.emails),
        "--out",
        str(out),
        "--offline",
    ]
    code = main([*argv, *extra])
    printed = capsys.readouterr()
    report = json.loads(out.read_text()) if out.exists() else {}
    return code, report, printed.out + printed.err


def test_the_plan_report_in_full(capsys: pytest.CaptureFixture[str], install: Install) -> None:
    """Every user, broker, credential source, setting, unmapped field, code, switch and file: see
    tests/legacy_install.py for who is who. Reviewed line by line; a change to it is a change of behaviour."""
    code, report, out = plan(capsys, install)
    assert code == 0
    assert report["legacy_dir"] == str(install.root)
    assert {**report, "legacy_dir": "<legacy>"} == json.loads(EXPECTED.read_text())
    assert "57 step(s) left to do" in out and "no stage (legacy files only)" in out


def test_the_summary_for_people_names_each_user_and_each_code(
    capsys: pytest.CaptureFixture[str], install: Install
) -> None:
    _, _, out = plan(capsys, install)
    assert "tania@example.com <- tania_gilbert, tania_gilbert_alpaca: new, tier basic, active" in out
    assert "vic@example.com <- user_fedcba9876543210: new, tier enterprise, disabled" in out
    assert "invitation withheld" in out
    for code in (
        "env_name_collision",
        "decrypt_failed",
        "duplicate_user",
        "email_missing",
        "orphan_credentials",
    ):
        assert f"  {code} " in out.split("Codes:")[1]  # each code seen is explained at the end
    assert "ENABLE_KRAKEN_USER_TRADING=false" in out


def test_the_legacy_tree_is_never_written(capsys: pytest.CaptureFixture[str], install: Install) -> None:
    before = snapshot(install.root)
    assert plan(capsys, install)[0] == 0
    assert snapshot(install.root) == before  # no file changed, none added (no SQLite journal either)
    inside = install.root / "report.json"
    code = main(
        [
            "migrate",
            "plan",
            str(install.root),
            "--emails",
            str(install.emails),
            "--offline",
            "--out",
            str(inside),
        ]
    )
    assert code == 2 and "inside LEGACY_DIR" in capsys.readouterr().err
    assert snapshot(install.root) == before


def test_no_secret_reaches_the_report_the_output_or_a_log(
    capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, install: Install
) -> None:
    caplog.set_level(logging.DEBUG)
    _, report, out = plan(capsys, install)
    text = json.dumps(report) + out + caplog.text
    assert len(install.canaries) > 20
    assert [c[:16] for c in install.canaries if c in text] == []
    assert install.vault_key not in text


def test_the_pem_over_several_lines_arrives_whole(install: Install) -> None:
    users = {u.email: u for u in build(LegacyTree(install.root), install.emails.read_text()).users}
    for email in ("cora@example.com", "dan@example.com"):  # quoted over lines; one line with literal \n
        (coinbase,) = users[email].brokers
        assert isinstance(coinbase.credentials, CoinbaseCredentials)
        pem = coinbase.credentials.private_key.get_secret_value()
        assert pem in install.canaries and pem.count("\n") == 4
        assert pem.startswith("-----BEGIN EC PRIVATE KEY-----\n") and pem.endswith(
            "-----END EC PRIVATE KEY-----"
        )


def alpaca_install(root: Path, emails: Path, env: str) -> Install:
    install = Install(root=root, emails=emails)
    install.write("config/users/retail_alpaca.json", [entry("al_roe", "retail", "alpaca")])
    install.write(".env", env)
    emails.write_text("user_id,email\nal_roe,al@example.com\n")
    return install


# Legacy: unset means paper, and only the text `true` (any case) means paper: 1, yes, on are LIVE.
PAPER = [
    (None, True),
    ("true", True),
    ("TRUE", True),
    ("True", True),
    ("false", False),
    ("1", False),
    ("yes", False),
    ("on", False),
    ("", False),
    ("paper", False),
]


@pytest.mark.parametrize(("value", "paper"), PAPER, ids=[repr(v) for v, _ in PAPER])
def test_the_alpaca_paper_flags_truth_table(tmp_path: Path, value: str | None, paper: bool) -> None:
    env = "ALPACA_USER_AL_ROE_API_KEY=PKAL0001\nALPACA_USER_AL_ROE_API_SECRET=al-secret\n"
    if value is not None:
        env += f"ALPACA_USER_AL_ROE_PAPER={value}\n"
    install = alpaca_install(tmp_path / "legacy", tmp_path / "emails.csv", env)
    (user,) = build(LegacyTree(install.root), install.emails.read_text()).users
    assert user.brokers[0].row().paper is paper


@pytest.mark.parametrize(
    ("flags", "paper"),
    [
        ("ALPACA_USER_AL_PAPER=false\n", False),  # not under the key's name: as legacy read it (SHORT)
        ("ALPACA_USER_AL_ROE_PAPER=true\nALPACA_USER_AL_PAPER=false\n", True),  # the key's name first
        ("", True),
    ],
)
def test_the_paper_flag_is_read_under_the_name_that_gave_the_key(
    tmp_path: Path, flags: str, paper: bool
) -> None:
    env = "ALPACA_USER_AL_ROE_API_KEY=PKAL0001\nALPACA_USER_AL_ROE_API_SECRET=al-secret\n" + flags
    install = alpaca_install(tmp_path / "legacy", tmp_path / "emails.csv", env)
    (user,) = build(LegacyTree(install.root), install.emails.read_text()).users
    assert user.brokers[0].row().paper is paper


def test_a_vault_row_without_a_paper_flag_is_paper(tmp_path: Path) -> None:
    install = Install(root=tmp_path / "legacy", emails=tmp_path / "emails.csv", vault_key="")
    from cryptography.fernet import Fernet

    install.vault_key = Fernet.generate_key().decode()
    install.root.mkdir()
    install.write(".env", f"VAULT_ENCRYPTION_KEY='{install.vault_key}'\n")
    install.vault(
        [
            ("al", "alpaca", "PKAL0001", "s3cret", None),
            ("bo", "alpaca", "PKBO0001", "s3cret", {"paper": "no"}),
        ]
    )
    install.emails.write_text("user_id,email\nal,al@example.com\nbo,bo@example.com\n")
    result = build(LegacyTree(install.root), install.emails.read_text())
    assert [(u.email, u.brokers[0].row().paper) for u in result.users] == [("al@example.com", True)]
    assert ("bo", Code.SOURCE_INVALID) in {(i.legacy_user_id, i.code) for i in result.not_imported}


def test_without_the_vault_key_every_row_is_reported(tmp_path: Path) -> None:
    install = standard(tmp_path / "legacy")
    env = (install.root / ".env").read_text()
    (install.root / ".env").write_text(
        env.replace(f"VAULT_ENCRYPTION_KEY={install.vault_key}", "VAULT_ENCRYPTION_KEY=short")
    )
    result = build(LegacyTree(install.root), install.emails.read_text())
    failed = [i for i in result.not_imported if i.code is Code.DECRYPT_FAILED]
    assert len(failed) == 4 and all("not a Fernet key" in i.detail for i in failed)  # and okx: unsupported
    ann = next(u for u in result.users if u.email == "ann@example.com")  # her vault keys do not open:
    assert [(b.broker.value, b.source.split(" ")[0]) for b in ann.brokers] == [("kraken", ".env")]  # .env's


def test_a_store_that_is_not_sqlite_is_reported(tmp_path: Path) -> None:
    install = standard(tmp_path / "legacy")
    (install.root / "users.db").write_bytes(b"not a database at all" * 100)
    with closing(sqlite3.connect(install.root / "vault.db")) as db:
        db.execute("DROP TABLE credentials")
        db.commit()
    result = build(LegacyTree(install.root), install.emails.read_text())
    invalid = {i.source for i in result.not_imported if i.code is Code.SOURCE_INVALID}
    assert {"users.db", "vault.db"} <= invalid


def test_emails_csv_needs_its_header(capsys: pytest.CaptureFixture[str], install: Install) -> None:
    install.emails.write_text("jane_roe,jane@example.com\n")
    code, _, out = plan(capsys, install)
    assert code == 2 and "header line user_id,email" in out


def test_an_address_given_twice_differently_is_a_duplicate(tmp_path: Path) -> None:
    install = alpaca_install(
        tmp_path / "legacy",
        tmp_path / "emails.csv",
        "ALPACA_USER_AL_ROE_API_KEY=PK1\nALPACA_USER_AL_ROE_API_SECRET=s\n",
    )
    install.emails.write_text("user_id,email\nal_roe,al@example.com\nal_roe,other@example.com\n")
    result = build(LegacyTree(install.root), install.emails.read_text())
    assert result.users == []
    assert {i.code for i in result.not_imported} == {Code.DUPLICATE_USER, Code.EMAIL_MISSING}
