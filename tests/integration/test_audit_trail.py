"""The audit trail on moto: concurrent appends make one gapless valid chain (on the moto server, where
conditional writes race for real), and the admin routes search by user and time, page, refuse
non-admins and name the first broken link after an item is changed or removed behind the API."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from audit_events import T0, admin_get, event

from nija import wiring
from nija.adapters.dynamo.audit import AuditRecords
from nija.adapters.dynamo.keys import audit_pk, seq_sk
from nija.config import get_settings, reset_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.audit_chain import verify_chain
from nija.local.provision import provision_data_plane

ALICE, BOB, ADMIN = (
    "a11ce000-0000-4000-8000-00000000000a",
    "b0b00000-0000-4000-8000-00000000000b",
    "ad000000-0000-4000-8000-0000000000ad",
)
THREADS = 8
APPENDS = 15


# --- concurrency, on the moto server -------------------------------------------------------------


@pytest.fixture
def audit_server(moto_endpoint: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("NIJA_STAGE", f"audit{uuid.uuid4().hex[:6]}")
        reset_settings()
        provision_data_plane(get_settings().catalogue)
        yield
    reset_settings()


@pytest.mark.xdist_group("motoserver")
@pytest.mark.slow
def test_concurrent_appends_make_one_gapless_valid_chain(audit_server: None) -> None:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(w: int) -> None:
        log = AuditRecords()  # each its own instance, as each Lambda has
        try:
            barrier.wait()
            for i in range(APPENDS):
                log.record(event(ALICE, w * 1000 + i))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    records = [r for _, r in AuditRecords().chain(ALICE, 0, 10_000)]
    assert [r.seq for r in records] == list(range(1, THREADS * APPENDS + 1))
    assert verify_chain(ALICE, records) is None
    assert sorted(int(r.event.details["n"]) for r in records) == sorted(
        w * 1000 + i for w in range(THREADS) for i in range(APPENDS)
    )


# --- the admin routes, in process ----------------------------------------------------------------


@pytest.fixture
def admin_api(aws: None, monkeypatch: pytest.MonkeyPatch, api: Any) -> Iterator[Any]:
    monkeypatch.setenv("NIJA_AUTH_MODE", "gateway")
    reset_settings()
    for n in range(1, 6):
        wiring.audit_records().record(event(ALICE, n))
    for n in range(1, 4):
        wiring.audit_records().record(event(BOB, n, at=T0 + timedelta(minutes=n, seconds=30)))
    yield api("admin_api")
    reset_settings()


def call(admin: Any, case: str, role: str = "admin", **query: Any) -> Any:
    return admin_get(admin, case, ADMIN, role, **query)


def tamper(subject: str, seq: int, **values: Any) -> None:
    """Change an item behind the API, as someone with raw table access would."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    table = get_settings().catalogue.audit_table.name
    names = {f"#{k}": k for k in values}
    client.update_item(
        TableName=table,
        Key={"pk": {"S": audit_pk(subject)}, "sk": {"S": seq_sk(seq)}},
        UpdateExpression="SET " + ", ".join(f"#{k} = :{k}" for k in values),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues={f":{k}": v for k, v in values.items()},
    )


def remove(subject: str, seq: int) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_item(
        TableName=get_settings().catalogue.audit_table.name,
        Key={"pk": {"S": audit_pk(subject)}, "sk": {"S": seq_sk(seq)}},
    )


def test_search_by_user_and_time_newest_first(admin_api: Any) -> None:
    reply = call(admin_api, "audit_search", user_id=ALICE)
    assert reply.status == 200
    items = reply.body["items"]
    assert [i["seq"] for i in items] == [5, 4, 3, 2, 1]
    assert {i["subject"] for i in items} == {ALICE}
    first = items[-1]
    assert set(first) >= {
        "subject",
        "seq",
        "action",
        "outcome",
        "actor",
        "details",
        "at",
        "prev_hash",
        "hash",
    }
    assert first["prev_hash"] == "0" * 64 and items[-2]["prev_hash"] == first["hash"]

    window = call(
        admin_api,
        "audit_search",
        user_id=ALICE,
        since=(T0 + timedelta(minutes=2)).isoformat(),
        until=(T0 + timedelta(minutes=4)).isoformat(),
    )
    assert [i["details"]["n"] for i in window.body["items"]] == ["4", "3", "2"]  # both ends inclusive
    naive = call(  # one end without a zone: taken as UTC, not a 500 for comparing the two
        admin_api,
        "audit_search",
        user_id=ALICE,
        since=(T0 + timedelta(minutes=2)).replace(tzinfo=None).isoformat(),
        until=(T0 + timedelta(minutes=4)).isoformat(),
    )
    assert naive.status == 200 and naive.body["items"] == window.body["items"]

    everyone = call(admin_api, "audit_search", user_id=None, since=(T0 + timedelta(minutes=3)).isoformat())
    assert [(i["subject"], i["details"]["n"]) for i in everyone.body["items"]] == [
        (ALICE, "5"),
        (ALICE, "4"),
        (BOB, "3"),
        (ALICE, "3"),
    ]


@pytest.mark.parametrize("bound", ["since", "until"])
@pytest.mark.parametrize("at", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_search_times_out_of_range_are_422(admin_api: Any, bound: str, at: str) -> None:
    reply = call(admin_api, "audit_search", user_id=ALICE, **{bound: at})
    assert reply.status == 422 and reply.error["field"] == bound, reply.body


def test_search_by_actor_finds_what_one_person_did_to_any_chain(admin_api: Any) -> None:
    for n, subject in enumerate((ALICE, BOB, "platform:global:trading"), start=10):
        wiring.audit_records().record(
            AuditEvent(
                action="admin.disable",
                outcome=Outcome.SUCCESS,
                subject=subject,
                actor=ADMIN,
                at=T0 + timedelta(minutes=n),
            )
        )
    wiring.audit_records().record(
        AuditEvent(action="orders.fill", outcome=Outcome.SUCCESS, subject=ALICE, actor="executor")
    )

    by_admin = call(admin_api, "audit_search", actor=ADMIN)
    assert by_admin.status == 200, by_admin.body
    assert [(r["subject"], r["actor"]) for r in by_admin.body["items"]] == [
        ("platform:global:trading", ADMIN),
        (BOB, ADMIN),
        (ALICE, ADMIN),
    ]  # newest first, across chains
    late = call(admin_api, "audit_search", actor=ADMIN, since=(T0 + timedelta(minutes=11)).isoformat())
    assert [r["subject"] for r in late.body["items"]] == ["platform:global:trading", BOB]
    pages = [call(admin_api, "audit_search", actor=ADMIN, limit=2)]
    pages.append(
        call(admin_api, "audit_search", actor=ADMIN, limit=2, next_token=pages[0].body["next_token"])
    )
    assert [r["subject"] for p in pages for r in p.body["items"]] == [
        "platform:global:trading",
        BOB,
        ALICE,
    ]
    assert call(admin_api, "audit_search", actor=ADMIN.upper()).body == by_admin.body  # one spelling
    # Alice's own actions are hers; with user_id, only what the admin did to her chain.
    assert len(call(admin_api, "audit_search", actor=ALICE).body["items"]) == 5
    on_alice = call(admin_api, "audit_search", user_id=ALICE, actor=ADMIN).body["items"]
    assert [(r["action"], r["subject"]) for r in on_alice] == [("admin.disable", ALICE)]
    # A platform component is not a person: its records are found by their subject.
    refused = call(admin_api, "audit_search", actor="executor")
    assert refused.status == 422 and refused.error["field"] == "actor"
    fills = call(admin_api, "audit_search", user_id=ALICE, actor="executor").body["items"]
    assert [r["action"] for r in fills] == ["orders.fill"]


def test_search_pages_with_next_token(admin_api: Any) -> None:
    seen: list[int] = []
    token = None
    for _ in range(10):
        reply = call(admin_api, "audit_search", user_id=ALICE, limit=2, next_token=token)
        assert reply.status == 200
        seen += [i["seq"] for i in reply.body["items"]]
        token = reply.body.get("next_token")
        if token is None:
            break
    assert seen == [5, 4, 3, 2, 1]
    bob_token = call(admin_api, "audit_search", user_id=BOB, limit=1).body["next_token"]
    assert call(admin_api, "audit_search", user_id=ALICE, next_token=bob_token).status == 422
    assert call(admin_api, "audit_search", user_id=ALICE, next_token="garbage").status == 422
    late, early = (T0 + timedelta(hours=1)).isoformat(), T0.isoformat()
    assert call(admin_api, "audit_search", user_id=ALICE, since=late, until=early).status == 422


@pytest.mark.parametrize("case", ["audit_search", "audit_verify"])
def test_audit_routes_are_for_admins_only(admin_api: Any, case: str) -> None:
    reply = call(admin_api, case, role="user", user_id=ALICE)
    assert reply.status == 403
    assert reply.error["code"] == "forbidden"


def test_verify_holds_then_names_a_tampered_item(admin_api: Any) -> None:
    assert call(admin_api, "audit_verify", user_id=ALICE).body == {"ok": True, "checked": 5}
    assert call(admin_api, "audit_verify", user_id=None).body == {"ok": True, "checked": 8}

    tamper(ALICE, 3, actor={"S": "someone-else"})
    broken = {"subject": ALICE, "seq": 3, "reason": "hash_mismatch"}
    one = call(admin_api, "audit_verify", user_id=ALICE).body
    assert one == {"ok": False, "checked": 3, "first_broken": broken}
    everything = call(admin_api, "audit_verify", user_id=None).body
    assert everything["ok"] is False and everything["first_broken"] == broken
    # BOB's chain is untouched.
    assert call(admin_api, "audit_verify", user_id=BOB).body == {"ok": True, "checked": 3}


def test_verify_names_a_deleted_item_as_a_gap(admin_api: Any) -> None:
    remove(BOB, 2)
    broken = {"subject": BOB, "seq": 3, "reason": "gap"}
    assert call(admin_api, "audit_verify", user_id=BOB).body["first_broken"] == broken
    assert call(admin_api, "audit_verify", user_id=None).body["first_broken"] == broken


def test_verify_names_a_relinked_item(admin_api: Any) -> None:
    tamper(ALICE, 4, prev_hash={"S": "f" * 64})
    body = call(admin_api, "audit_verify", user_id=ALICE).body
    assert body["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "prev_hash_mismatch"}


@pytest.mark.parametrize("user", [ALICE, None])
def test_verify_is_bounded_and_resumes_with_its_token(admin_api: Any, user: str | None) -> None:
    total, token, calls = 0, None, 0
    while True:
        body = call(admin_api, "audit_verify", user_id=user, limit=2, next_token=token).body
        assert body["ok"] is True and body["checked"] <= 2
        total += body["checked"]
        calls += 1
        token = body.get("next_token")
        if token is None:
            break
    assert total == (5 if user else 8)
    assert calls >= 3
    # A token of one walk is no good for another.
    other = call(admin_api, "audit_verify", user_id=BOB, limit=1).body["next_token"]
    assert call(admin_api, "audit_verify", user_id=user, next_token=other).status == 422


def test_a_break_found_mid_walk_after_resuming_is_still_named(admin_api: Any) -> None:
    first = call(admin_api, "audit_verify", user_id=ALICE, limit=2).body
    tamper(ALICE, 4, details={"M": {"n": {"S": "400"}}})
    rest = call(admin_api, "audit_verify", user_id=ALICE, next_token=first["next_token"]).body
    assert rest["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "hash_mismatch"}


def test_records_round_trip_with_their_hash(aws: None) -> None:
    sent = AuditEvent(
        action="vault.store",
        outcome=Outcome.REFUSED,
        subject=ALICE,
        actor=ADMIN,
        details={"broker": "paper", "reason": "ünïcode ✓"},
        source_ip=None,
    )
    wiring.audit_records().record(sent)
    (back,) = [r for _, r in AuditRecords().chain(ALICE, 0, 10)]
    assert back.event == sent
    assert verify_chain(ALICE, [back]) is None
    assert json.dumps(wiring.audit_records().events_for(ALICE)[0].model_dump(mode="json"))
