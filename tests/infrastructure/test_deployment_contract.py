"""The deployment contract: each function, run on moto through its handler, may do what it did in the
deployed stack (its role allows every AWS request, as IAM decides it) and finds every setting it read
in its environment. See deploy_contract.py for the check, tests/aws_calls.py for the recording and
contract_flows.py for the flow each function runs."""

from __future__ import annotations

import pytest
from aws_calls import Recording, Request, SettingRead, recording
from cdk_synth import ROOT, Synth
from contract_flows import FLOWS, NOT_YET, SCAN_FIRST_ENTRY, Flow
from deploy_contract import Contract, Violation

from nija import wiring
from nija.config import get_settings
from nija.domain.credentials import KrakenCredentials
from nija.domain.models import BrokerName

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

KRAKEN = BrokerName.KRAKEN
USER = "5ca1ab1e-0000-4000-8000-000000000001"


@pytest.fixture(scope="session")
def contract(dev: Synth) -> Contract:
    return Contract(dev)


def scan_first_entry_as_recorded() -> Recording:
    """What the kraken scan's first entry for a never-valued user asked for until now: the user's
    kraken keys from the vault (the secret, its data key), sized from the balances they open."""
    with recording("nija-dev-executor-kraken") as rec:  # a deployment that may do it: a real record
        wiring.vault().get(USER, KRAKEN)
        get_settings().vault_key_id  # noqa: B018 - the container reads it to build the vault
    return Recording("nija-dev-scan-kraken", list(rec.requests), dict(rec.settings))


def describe(violations: list[Violation]) -> list[tuple[str, str]]:
    return sorted(
        (v.kind, v.what.split(" on ")[0] + (" via SM" if "for secretsmanager" in v.what else ""))
        for v in violations
    )


def test_the_checker_reports_a_scan_that_reads_the_vault(aws: None, contract: Contract) -> None:
    """The defect this contract exists for: the scan function's role holds no secret read and no
    vault key use, and its environment no vault key id. The same calls from the kraken executor,
    whose deployment has all three, pass."""
    wiring.vault().put(USER, KrakenCredentials(api_key="k", api_secret="s"), 1)
    recorded = scan_first_entry_as_recorded()
    assert {r.action for r in recorded.requests} == {"secretsmanager:GetSecretValue", "kms:Decrypt"}

    assert describe(contract.check(recorded)) == [
        ("denied", "kms:Decrypt"),
        ("denied", "kms:Decrypt via SM"),
        ("denied", "secretsmanager:GetSecretValue"),
        ("setting", "NIJA_VAULT_KEY_ID"),
    ]
    executor = Recording("nija-dev-executor-kraken", recorded.requests, recorded.settings)
    assert contract.check(executor) == []


def test_another_brokers_keys_are_refused_even_to_an_executor(aws: None, contract: Contract) -> None:
    """Conditions count: each executor's grants are scoped by version label and encryption context.
    The coinbase executor may not read the user's kraken version nor open a kraken data key (its
    Decrypt through Secrets Manager alone would pass: Secrets Manager asks for it only once the
    read is allowed); the paper executor holds nothing on the vault at all."""
    wiring.vault().put(USER, KrakenCredentials(api_key="k", api_secret="s"), 1)
    recorded = scan_first_entry_as_recorded()
    as_coinbase = Recording("nija-dev-executor-coinbase", recorded.requests, recorded.settings)
    assert describe(contract.check(as_coinbase)) == [
        ("denied", "kms:Decrypt"),
        ("denied", "secretsmanager:GetSecretValue"),
    ]
    as_paper = Recording("nija-dev-executor-paper", recorded.requests, recorded.settings)
    assert describe(contract.check(as_paper)) == [
        ("denied", "kms:Decrypt"),
        ("denied", "kms:Decrypt via SM"),
        ("denied", "secretsmanager:GetSecretValue"),
    ]


def test_an_unknown_action_and_an_unset_setting_are_reported(aws: None, contract: Contract) -> None:
    rec = Recording(
        "nija-dev-audit-writer",
        [Request("dynamodb:PutItems", "arn:aws:dynamodb:us-east-1:123456789012:table/nija-test-audit")],
        {"rest_api_id": SettingRead("rest_api_id", "abc123")},
    )
    assert [(v.kind, v.why) for v in contract.check(rec)] == [
        ("denied", "IAM has no action dynamodb:PutItems"),
        ("setting", "read by the code (the test ran it with a value), but not in the function's environment"),
    ]


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.name)
def test_each_function_may_do_what_its_code_does(
    flow: Flow, contract: Contract, request: pytest.FixtureRequest
) -> None:
    recorded = flow.run(request)
    assert recorded.requests, f"{flow.name}: the flow made no AWS call"
    assert contract.check(recorded) == []


def test_the_scans_first_entry_on_a_real_broker(contract: Contract, request: pytest.FixtureRequest) -> None:
    recorded = SCAN_FIRST_ENTRY.run(request)
    assert contract.check(recorded) == []


def test_every_function_has_a_flow(contract: Contract) -> None:
    """A new function (a folder under functions/) needs a flow here, or a place in NOT_YET."""
    assert {f.deployment for f in FLOWS} <= set(contract.deployments)
    folders = {p.parent.name for p in (ROOT / "functions").glob("*/handler.py")}
    assert {f.key for f in FLOWS} == folders - NOT_YET
