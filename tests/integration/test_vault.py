"""The vault on moto: KMS data keys bound to {user_id, broker}, AES-256-GCM seals, Secrets Manager
under the platform key, metadata in DynamoDB, every use audited, and no secret anywhere else."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.envelope import SealBroken
from nija.config import get_settings
from nija.domain.credentials import KrakenCredentials
from nija.domain.errors import Conflict, InvalidInput, NotFound
from nija.domain.messages import parse_order_message
from nija.domain.models import BrokerName, Principal, User
from nija.domain.orders import OrderStatus
from nija.logic import orders
from nija.logic.orders import OrderRequest
from tests.kit import KRAKEN_SECRET, an_executor, recorded_brokers

ALICE, BOB = "a11ce000-0000-4000-8000-000000000001", "b0b00000-0000-4000-8000-000000000002"
pytestmark = [pytest.mark.usefixtures("aws"), pytest.mark.members(ALICE, BOB)]
CANARY_KEY, CANARY_SECRET = "CANARYKEY-3f9a1c77", "Q0FOQVJZU0VDUkVUZDQxZThiMDI="
PAPER, KRAKEN = BrokerName.PAPER, BrokerName.KRAKEN
SECRET = KRAKEN_SECRET


@pytest.fixture(autouse=True)
def brokers_recorded() -> Iterator[None]:
    with recorded_brokers():
        yield


def connect(
    user: str, key: str = "kraken-key-0001", secret: str = SECRET, broker: BrokerName = KRAKEN
) -> Any:
    fields = (
        {"key_id": key, "secret_key": secret}
        if broker is BrokerName.ALPACA
        else {"api_key": key, "api_secret": secret}
    )
    return wiring.vault_service().connect(user, broker, fields)


def sealed(user: str, broker: BrokerName = KRAKEN) -> str:
    """The raw value of the user's version labelled with the broker."""
    name = get_settings().catalogue.secret_name(user)
    return str(
        client("secretsmanager").get_secret_value(SecretId=name, VersionStage=broker.value)["SecretString"]
    )


def everything_stored() -> str:
    ddb, cat = client("dynamodb"), get_settings().catalogue
    return json.dumps([ddb.scan(TableName=t.name)["Items"] for t in (cat.state_table, cat.audit_table)])


def test_connect_seals_stores_and_reads_back(audit_writer: Callable[[], None]) -> None:
    meta = connect(ALICE)
    audit_writer()  # vault.store went in the metadata's transaction, through the outbox
    assert (meta.masked_key, meta.version, meta.permissions.withdraw) == (
        "****0001",
        1,
        None,
    )  # kraken does not say
    secret = client("secretsmanager").describe_secret(SecretId=get_settings().catalogue.secret_name(ALICE))
    assert secret["KmsKeyId"] == get_settings().vault_key_id
    assert {t["Key"]: t["Value"] for t in secret["Tags"]} == {"user_id": ALICE}
    raw = sealed(ALICE)
    assert SECRET not in raw and json.loads(raw)["alg"] == "AES-256-GCM"
    current = client("secretsmanager").get_secret_value(SecretId=secret["ARN"])["SecretString"]
    assert json.loads(current) == {"format": 2, "user_id": ALICE, "versions": "one per broker"}

    opened = wiring.vault_reader().read(ALICE, KRAKEN)
    assert opened == KrakenCredentials(api_key="kraken-key-0001", api_secret=SECRET)
    actions = [(e.action, e.outcome.value) for e in wiring.audit_records().events_for(ALICE)]
    assert actions == [("vault.read", "success"), ("vault.store", "success"), ("vault.validate", "success")]


def test_replacing_keys_bumps_the_version(audit_writer: Callable[[], None]) -> None:
    connect(ALICE)
    meta = connect(ALICE, key="kraken-key-0002", secret="YW5vdGhlcg==")
    audit_writer()
    assert (meta.version, meta.masked_key) == (2, "****0002")
    assert wiring.vault().get(ALICE, KRAKEN).api_key == "kraken-key-0002"  # type: ignore[union-attr]
    assert wiring.audit_records().events_for(ALICE)[0].action == "vault.replace"


def test_one_users_sealed_secret_copied_into_anothers_does_not_open() -> None:
    connect(ALICE, secret="YWxpY2Vz")
    connect(BOB, secret="Ym9icw==")
    sm, cat = client("secretsmanager"), get_settings().catalogue
    sm.put_secret_value(SecretId=cat.secret_name(BOB), SecretString=sealed(ALICE), VersionStages=["kraken"])
    with pytest.raises(SealBroken):
        wiring.vault().get(BOB, KRAKEN)


def test_one_brokers_sealed_keys_labelled_as_anothers_do_not_open() -> None:
    connect(ALICE)
    connect(ALICE, broker=BrokerName.ALPACA, key="PKALPACA0001", secret="alpaca-secret")
    sm, cat = client("secretsmanager"), get_settings().catalogue
    sm.put_secret_value(SecretId=cat.secret_name(ALICE), SecretString=sealed(ALICE), VersionStages=["alpaca"])
    with pytest.raises(SealBroken):
        wiring.vault().get(ALICE, BrokerName.ALPACA)


def test_every_broker_of_a_user_is_a_labelled_version_of_one_secret() -> None:
    """One secret per user: a version per broker, labelled with its name; disconnecting one takes its
    label off and leaves the others; disconnecting the last deletes the secret."""
    sm, name = client("secretsmanager"), get_settings().catalogue.secret_name(ALICE)
    connect(ALICE)
    connect(ALICE, broker=BrokerName.ALPACA, key="PKALPACA0001", secret="alpaca-secret")
    assert [s["Name"] for s in sm.list_secrets()["SecretList"]] == [name]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert sorted(st for labels in stages.values() for st in labels) == ["AWSCURRENT", "alpaca", "kraken"]
    assert wiring.vault().get(ALICE, KRAKEN).api_key == "kraken-key-0001"  # type: ignore[union-attr]
    assert wiring.vault().get(ALICE, BrokerName.ALPACA).key_id == "PKALPACA0001"

    wiring.vault_service().disconnect(ALICE, KRAKEN)
    with pytest.raises(NotFound):
        wiring.vault().get(ALICE, KRAKEN)
    assert wiring.vault().get(ALICE, BrokerName.ALPACA).key_id == "PKALPACA0001"
    wiring.vault_service().disconnect(ALICE, BrokerName.ALPACA)
    assert sm.list_secrets()["SecretList"] == []


def test_paper_keys_are_checked_and_listed_but_keep_no_secret() -> None:
    meta = wiring.vault_service().connect(ALICE, PAPER, {"api_key": "paper-key-0001", "api_secret": "s"})
    assert meta.masked_key == "****0001" and wiring.vault_service().connected(ALICE, PAPER)
    assert client("secretsmanager").list_secrets()["SecretList"] == []
    wiring.vault_service().disconnect(ALICE, PAPER)
    assert wiring.vault_service().list(ALICE) == []


@pytest.mark.parametrize(
    ("broker", "body", "field"),
    [
        (BrokerName.KRAKEN, {"api_key": "k", "secret": "s"}, "secret"),
        (BrokerName.BINANCE, {"api_key": "k"}, "api_secret"),
        (BrokerName.COINBASE, {"api_key": "k", "api_secret": "s"}, "api_key"),
        (BrokerName.ALPACA, {"key_id": "k", "secret_key": "s", "paper": "maybe"}, "paper"),
        (BrokerName.PAPER, {"api_key": "", "api_secret": "s"}, "api_key"),
    ],
)
def test_wrong_field_sets_name_the_field(broker: BrokerName, body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        wiring.vault_service().connect(ALICE, broker, body)
    assert err.value.field == field
    assert wiring.vault_service().list(ALICE) == []


def test_disconnect_removes_secret_and_metadata_and_refuses_queued_orders() -> None:
    wiring.users().put_user(User(user_id=ALICE, email="alice@example.com"))
    wiring.broker(PAPER).seed_balances(ALICE, {"USD": Decimal(10_000)})  # type: ignore[attr-defined]
    wiring.vault_service().connect(ALICE, PAPER, {"api_key": "paper-key-0001", "api_secret": "s"})
    request = OrderRequest(broker=PAPER, symbol="BTC/USD", side="buy", quantity=Decimal("0.01"))
    queued = orders.place_order(
        Principal(user_id=ALICE), request, "k-1", wiring.orders(), wiring.order_queue()
    )

    wiring.vault_service().disconnect(ALICE, PAPER)
    assert wiring.vault_service().list(ALICE) == []
    with pytest.raises(NotFound):
        wiring.vault().get(ALICE, PAPER)
    with pytest.raises(NotFound):
        wiring.vault_service().disconnect(ALICE, PAPER)

    url = queue_url(get_settings().catalogue.queue(PAPER).name)
    (message,) = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    executor = an_executor(guard=wiring.guard())
    done = executor.handle(parse_order_message(message["Body"]))
    assert done is not None and done.status is OrderStatus.REJECTED
    assert done.reason_code == "broker_not_connected"
    assert wiring.orders().get_order(ALICE, queued.order_id).status is OrderStatus.REJECTED  # type: ignore[union-attr]


def test_a_held_lock_refuses_a_concurrent_change() -> None:
    connect(ALICE)
    assert wiring.credential_index().lock(ALICE, "someone-else", 60)
    with pytest.raises(Conflict):
        connect(ALICE, key="kraken-key-0009")
    with pytest.raises(Conflict):  # the lock is the user's: every broker's keys wait
        connect(ALICE, broker=BrokerName.ALPACA, key="PKALPACA0001", secret="alpaca-secret")
    wiring.credential_index().unlock(ALICE, "someone-else")
    assert connect(ALICE, key="kraken-key-0009").version == 2


def test_rewrap_reseals_everything_once_and_resumes(audit_writer: Callable[[], None]) -> None:
    connect(ALICE)
    connect(BOB)
    before_blobs = {u: json.loads(sealed(u)) for u in (ALICE, BOB)}
    cutoff = datetime.now(UTC)

    assert wiring.vault_service().rewrap_all(cutoff) == 2
    assert wiring.vault_service().rewrap_all(cutoff) == 0  # a resumed run skips what is done
    audit_writer()
    for user in (ALICE, BOB):
        after = json.loads(sealed(user))
        assert after["key"] != before_blobs[user]["key"] and after["version"] == before_blobs[user]["version"]
        assert wiring.vault().get(user, KRAKEN).api_secret.get_secret_value() == SECRET  # type: ignore[union-attr]
        assert wiring.audit_records().events_for(user)[0].action == "vault.rewrap"


def test_cached_reads_stay_in_memory_for_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    connect(ALICE)
    reader = wiring.vault_reader()
    first = reader.read(ALICE, KRAKEN)
    client("secretsmanager").delete_secret(
        SecretId=get_settings().catalogue.secret_name(ALICE), ForceDeleteWithoutRecovery=True
    )
    assert reader.read(ALICE, KRAKEN) is first  # served from memory, no second vault read
    reader.forget(ALICE, KRAKEN)
    with pytest.raises(NotFound):
        reader.read(ALICE, KRAKEN)
    reads = [e.outcome.value for e in wiring.audit_records().events_for(ALICE) if e.action == "vault.read"]
    assert reads == ["failure", "success"]


def test_canary_secrets_never_leave_the_vault(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    meta = connect(ALICE, key=CANARY_KEY, secret=CANARY_SECRET)
    wiring.vault_reader().read(ALICE, KRAKEN)
    wiring.vault_service().rewrap_all(datetime.now(UTC))
    wiring.vault_service().disconnect(ALICE, KRAKEN)
    seen = "\n".join(
        [
            caplog.text,
            *capsys.readouterr(),
            everything_stored(),
            meta.model_dump_json(),
            *(e.model_dump_json() for e in wiring.audit_records().events_for(ALICE)),
        ]
    )
    assert CANARY_SECRET not in seen
    assert CANARY_KEY not in seen  # even the key id shows only its last 4 characters
    assert CANARY_KEY[-4:] in meta.masked_key


# --- real broker keys, checked by the real ccxt clients against recorded broker answers ----------

BINANCE_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
BINANCE_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
KRAKEN_KEY = "kraken-test-key-0001"
KRAKEN_SECRET = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="


def connect_via(broker: str, case: str, body: dict[str, str]) -> Any:
    from fixtures.brokers import signing
    from fixtures.brokers.replay import Replay

    from nija.adapters.brokers import override_client_settings

    verify = {
        "binance": signing.binance(BINANCE_KEY, BINANCE_SECRET),
        "kraken": signing.kraken(KRAKEN_KEY, KRAKEN_SECRET),
    }
    replay = Replay(verify[broker]).load(broker, case)
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        try:
            return wiring.vault_service().connect(ALICE, BrokerName(broker), body)
        finally:
            replay.assert_done()


def test_keys_that_can_withdraw_are_refused_and_the_refusal_recorded() -> None:
    with pytest.raises(InvalidInput) as err:
        connect_via("binance", "withdraw", {"api_key": BINANCE_KEY, "api_secret": BINANCE_SECRET})
    assert err.value.code == "withdrawal_permission"
    assert wiring.vault_service().list(ALICE) == []
    event = wiring.audit_records().events_for(ALICE)[0]
    assert (event.action, event.outcome.value, event.details["reason"]) == (
        "vault.validate",
        "refused",
        "withdrawal_permission",
    )
    assert BINANCE_SECRET not in everything_stored()


def test_binance_keys_without_withdrawal_are_stored() -> None:
    meta = connect_via("binance", "ok", {"api_key": BINANCE_KEY, "api_secret": BINANCE_SECRET})
    assert meta.permissions.model_dump() == {"read": True, "trade": True, "withdraw": False}
    assert meta.masked_key == "****" + BINANCE_KEY[-4:]
    assert wiring.vault().get(ALICE, BrokerName.BINANCE).api_secret.get_secret_value() == BINANCE_SECRET  # type: ignore[union-attr]


def test_kraken_does_not_report_permissions_so_they_stay_unknown() -> None:
    meta = connect_via("kraken", "ok", {"api_key": KRAKEN_KEY, "api_secret": KRAKEN_SECRET})
    assert meta.permissions.model_dump() == {"read": True, "trade": None, "withdraw": None}


def test_keys_the_broker_refuses_are_422_and_nothing_is_stored() -> None:
    with pytest.raises(InvalidInput) as err:
        connect_via("kraken", "invalid_key", {"api_key": KRAKEN_KEY, "api_secret": KRAKEN_SECRET})
    assert err.value.code == "credentials_rejected"
    assert wiring.vault_service().list(ALICE) == []
    with pytest.raises(NotFound):
        wiring.vault().get(ALICE, BrokerName.KRAKEN)


def test_a_disconnect_that_stopped_after_the_metadata_finishes_on_retry() -> None:
    connect(ALICE)
    wiring.credential_index().delete_metadata(ALICE, KRAKEN)  # as if it had stopped right after this
    with pytest.raises(NotFound):
        wiring.vault_service().disconnect(ALICE, KRAKEN)
    sm = client("secretsmanager")
    with pytest.raises(sm.exceptions.ResourceNotFoundException):  # the orphaned secret went too
        sm.describe_secret(SecretId=get_settings().catalogue.secret_name(ALICE))


def test_refills_after_the_ttl_are_audited_once_a_day() -> None:
    connect(ALICE)
    now = [0.0]
    reader = dataclasses.replace(wiring.vault_reader(), ttl_s=300, clock=lambda: now[0])
    for minute in range(0, 24 * 60, 5):  # the schedules' reads, every five minutes for a day
        now[0] = minute * 60.0
        reader.read(ALICE, KRAKEN)
    now[0] = 24 * 3600.0
    reader.read(ALICE, KRAKEN)
    reads = [e for e in wiring.audit_records().events_for(ALICE) if e.action == "vault.read"]
    assert [e.outcome.value for e in reads] == ["success", "success"]  # the first, and a day later
    reader.forget(ALICE, KRAKEN)  # replaced keys: their first read is audited again
    reader.read(ALICE, KRAKEN)
    assert len([e for e in wiring.audit_records().events_for(ALICE) if e.action == "vault.read"]) == 3
