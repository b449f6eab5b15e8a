"""`nija migrate apply` on moto: Cognito users invited (the email outbox), profiles in their tier,
keys through the vault's own path (checked against recorded broker answers), settings with trading
off, account.migrated once in each chain. A second run changes nothing, a stopped run resumes, an
unreachable broker is pending until a later run, and no secret lands anywhere but the vault."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fixtures.brokers.answers import Answers
from legacy_install import Install, snapshot, standard

from nija import wiring
from nija.adapters.aws import client
from nija.adapters.brokers import override_client_settings
from nija.adapters.legacy_install import LegacyTree
from nija.config import get_settings, reset_settings
from nija.domain.credentials import KrakenCredentials
from nija.domain.migration import MIGRATED, Code, Report, Step, Target, migrated_event_id
from nija.domain.models import BrokerName, Tier, UserStatus
from nija.local import identity
from nija.logic.migrate.migrator import migrate
from nija.logic.migrate.report import render

# sam_taylor's kraken keys are refused by Kraken; vic's binance keys may withdraw.
REFUSED = {"K-SAMT-0001": "invalid_key", "B-VIC-0001": "withdraw"}
ACTIVE = [
    "ann@example.com",
    "cora@example.com",
    "dan@example.com",
    "jane@example.com",
    "lee@example.com",
    "sam.ng@example.com",
    "sam.taylor@example.com",
    "tania@example.com",
]


@pytest.fixture
def stage(aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[identity.Pool]:
    """The stage as the local stack makes it: a user pool, invitations to an outbox."""
    cat = get_settings().catalogue
    pool = identity.create_user_pool(cat)
    monkeypatch.setenv("NIJA_USER_POOL_ID", pool.pool_id)
    monkeypatch.setenv("NIJA_USER_POOL_CLIENT_ID", pool.client_id)
    monkeypatch.setenv("NIJA_EMAIL_MODE", "record")
    monkeypatch.setenv("NIJA_EMAIL_OUTBOX", str(tmp_path / "outbox" / "email.jsonl"))
    reset_settings()
    yield pool
    reset_settings()


@pytest.fixture
def install(tmp_path: Path) -> Install:
    return standard(tmp_path / "legacy")


def run(mode: str, install: Install, answers: Answers | None = None, workers: int = 1) -> Report:
    answers = answers or Answers(by_key=REFUSED)
    with override_client_settings(adapter=answers, enable_rate_limit=False, timeout_s=5.0):
        report = migrate(
            mode,  # type: ignore[arg-type]
            LegacyTree(install.root),
            install.emails.read_text(),
            wiring.migrator(),
            Target(stage="test", checked=True),
            workers,
        )
    render(report)  # the summary for people renders whatever happened
    return report


def users(report: Report) -> dict[str, Any]:
    return {u.email: u for u in report.users}


def outbox() -> list[dict[str, Any]]:
    path = Path(get_settings().email_outbox)
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def everything_stored() -> str:
    """Every item of every table, every secret's stored text: where a plaintext key must never be."""
    ddb, cat = client("dynamodb"), get_settings().catalogue
    items = [ddb.scan(TableName=t.name)["Items"] for t in (cat.state_table, cat.audit_table)]
    sm = client("secretsmanager")
    sealed = [sm.get_secret_value(SecretId=s["ARN"])["SecretString"] for s in sm.list_secrets()["SecretList"]]
    return json.dumps([items, sealed])


def test_apply_then_plan_shows_nothing_left_to_do(stage: identity.Pool, install: Install) -> None:
    first = run("apply", install)
    assert first.summary.pending == 0 and first.summary.to_do == 0
    assert first.summary.refused == 2 and first.summary.made == 53
    assert all(u.state == "new" for u in first.users)
    refused = {
        (i.legacy_user_id, i.code)
        for i in first.not_imported
        if i.code in (Code.CREDENTIALS_REJECTED, Code.WITHDRAWAL_PERMISSION)
    }
    assert refused == {
        ("sam_taylor", Code.CREDENTIALS_REJECTED),
        ("user_fedcba9876543210", Code.WITHDRAWAL_PERMISSION),
    }

    again = run("plan", install)
    assert again.summary.to_do == 0 and again.summary.made == 0
    assert {u.state for u in again.users} == {"migrated"}
    taylor = users(again)["sam.taylor@example.com"].brokers[0]
    assert (taylor.step, taylor.detail) == (
        Step.SKIPPED,
        "not connected now (refused when imported, or removed since): an import does not retry it",
    )

    answers = Answers(by_key=REFUSED)
    second = run("apply", install, answers)
    assert (second.summary.made, second.summary.to_do, answers.requests) == (
        0,
        0,
        [],
    )  # nothing, not even a check
    assert second.model_dump(exclude={"mode"}) == again.model_dump(exclude={"mode"})


def test_what_an_imported_user_has(
    stage: identity.Pool, install: Install, audit_writer: Callable[[], None]
) -> None:
    report = run("apply", install)
    audit_writer()
    by_email = users(report)
    idp, cat = wiring.migrator().directory, get_settings().catalogue

    jane = by_email["jane@example.com"].user_id
    directory = idp.find("jane@example.com")
    assert directory is not None and (directory.user_id, directory.status) == (jane, "FORCE_CHANGE_PASSWORD")
    vic = idp.find("vic@example.com")
    assert vic is not None and vic.enabled is False  # disabled in users.db: disabled here, not invited

    ann = wiring.users().get_user(by_email["ann@example.com"].user_id)
    assert ann is not None and (ann.tier, ann.status) == (Tier.PRO, UserStatus.ACTIVE)
    profile = wiring.users().get_user(vic.user_id)
    assert profile is not None and (profile.tier, profile.status) == (Tier.ENTERPRISE, UserStatus.DISABLED)

    metadata = {m.broker: m for m in wiring.vault_service().list(jane)}
    assert set(metadata) == {BrokerName.ALPACA, BrokerName.KRAKEN}
    assert metadata[BrokerName.ALPACA].paper_trading is False  # ALPACA_USER_JANE_PAPER=false
    opened = wiring.vault().get(jane, BrokerName.KRAKEN)
    assert isinstance(opened, KrakenCredentials) and opened.api_key == "K-JANE-0001"
    assert opened.api_secret.get_secret_value() in install.canaries

    settings = wiring.settings_service().get(jane)
    assert settings.strategy.enabled is False and settings.strategy.symbols == ()
    assert settings.strategy.brokers == (BrokerName.ALPACA, BrokerName.KRAKEN)
    assert settings.risk.max_open_positions == 3  # position_limits.max_positions of jane_roe.json
    lee = wiring.settings_service().get(by_email["lee@example.com"].user_id)
    assert lee.risk == type(lee.risk)() and lee.strategy.brokers == (BrokerName.KRAKEN,)

    events = wiring.audit_records().events_for(jane)
    migrated = [e for e in events if e.action == MIGRATED]
    assert len(migrated) == 1 and max(e.at for e in events) == migrated[0].at  # the last step, once
    assert migrated[0].actor == "operator"
    assert migrated[0].details == {
        "legacy_user_id": "jane_roe",
        "sources": ".env,config/users/jane_roe.json,config/users/retail_alpaca.json,"
        "config/users/retail_kraken.json,emails.csv,vault.db",
        "brokers": "alpaca,kraken",
        "tier": "basic",
        "status": "active",
    }
    stored = {e.action for e in events}
    assert {"vault.validate", "vault.store", "settings.update"} <= stored  # the API's own path
    assert cat.prefix  # the stage's resources were the ones used

    invitations = outbox()
    assert sorted(m["to"] for m in invitations) == ACTIVE  # one each; none for the disabled user
    tania = next(m for m in invitations if m["to"] == "tania@example.com")
    assert "tania_gilbert, tania_gilbert_alpaca" in tania["body"] and "Temporary password: " in tania["body"]


def test_no_secret_reaches_an_item_a_log_or_the_report(
    stage: identity.Pool, install: Install, audit_writer: Callable[[], None], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    report = run("apply", install)
    audit_writer()
    texts = [everything_stored(), caplog.text, report.model_dump_json(), render(report), json.dumps(outbox())]
    found = [c[:16] for c in install.canaries for text in texts if c in text]
    assert found == []
    assert "K-JANE-0001" not in everything_stored()  # the key id itself only sealed; metadata is masked


def test_an_unreachable_broker_is_pending_until_a_later_apply(stage: identity.Pool, install: Install) -> None:
    first = run("apply", install, Answers(default={"kraken": "unreachable"}, by_key=REFUSED))
    lee = users(first)["lee@example.com"]
    assert (lee.brokers[0].step, lee.brokers[0].code) == (Step.PENDING, Code.BROKER_UNREACHABLE)
    assert lee.steps["record"] is Step.MADE and lee.settings["strategy.brokers"] == []
    jane = users(first)["jane@example.com"]
    assert [b.step for b in jane.brokers] == [Step.MADE, Step.PENDING]  # alpaca in, kraken pending
    # 5 kraken accounts wait (ann, jane, lee, sam_ng, tania; sam_taylor's keys are refused)
    assert first.summary.pending == 5 and first.summary.to_do == 5
    record = wiring.audit_records().appended(migrated_event_id(jane.user_id or ""))
    assert record is not None and record.details["pending"] == "kraken"
    assert run("plan", install).summary.to_do == 5 * 2  # and the settings that will name kraken
    sent = len(outbox())
    accept_invitation(stage, "jane@example.com")  # jane signs in meanwhile: her account stays ours

    second = run("apply", install)
    assert second.summary.to_do == 0 and second.summary.pending == 0
    assert {u.state for u in second.users} == {"resume", "migrated"}
    assert users(second)["jane@example.com"].settings["strategy.brokers"] == ["alpaca", "kraken"]
    assert wiring.settings_service().get(jane.user_id or "").strategy.brokers == (
        BrokerName.ALPACA,
        BrokerName.KRAKEN,
    )
    assert len(outbox()) == sent  # nobody invited twice
    assert run("plan", install).summary.to_do == 0


def accept_invitation(pool: identity.Pool, email: str) -> None:
    """What the person does with the invitation: the temporary password, then one of their own."""
    (message,) = [m for m in outbox() if m["to"] == email]
    temporary = message["body"].split("Temporary password: ")[1].split()[0]
    idp = client("cognito-idp")
    challenge = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": temporary},
    )
    idp.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "Own-Passw0rd-1234!"},
    )


def test_a_run_stopped_half_way_resumes(stage: identity.Pool, install: Install) -> None:
    checks = []

    def ctrl_c_at_the_fifth_key_check(request: requests.PreparedRequest) -> None:
        checks.append(request.url)
        if len(checks) == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run("apply", install, Answers(by_key=REFUSED, on_request=ctrl_c_at_the_fifth_key_check))
    half = run("plan", install)
    assert {u.state for u in half.users} == {"new", "resume", "migrated"}
    resumed = [u for u in half.users if u.state == "resume"]
    assert len(resumed) == 1 and resumed[0].steps["directory_user"] is Step.DONE

    done = run("apply", install)
    assert done.summary.to_do == 0 and run("plan", install).summary.to_do == 0
    assert sorted(m["to"] for m in outbox()) == ACTIVE  # each invited once, the stopped one too
    for row in done.users:
        chain = wiring.audit_records().events_for(row.user_id)
        assert [e.action for e in chain].count(MIGRATED) == 1


def test_an_address_already_in_use_is_not_touched(stage: identity.Pool, install: Install) -> None:
    lee = identity.create_confirmed_user(stage, "lee@example.com", "Lee-Passw0rd-1234!", wiring.users())
    report = run("apply", install)
    row = users(report)["lee@example.com"]
    assert (row.state, row.user_id, row.brokers[0].step) == ("account_exists", lee, Step.SKIPPED)
    assert Code.ACCOUNT_EXISTS.value in report.summary.not_imported
    assert wiring.vault_service().list(lee) == []
    assert [e.action for e in wiring.audit_records().events_for(lee)] == []


def test_the_legacy_tree_is_never_written(stage: identity.Pool, install: Install) -> None:
    before = snapshot(install.root)
    run("apply", install, workers=4)
    run("plan", install, workers=4)
    assert snapshot(install.root) == before
