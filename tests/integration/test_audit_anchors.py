"""Anchoring the audit chains on moto: the scheduled function puts each chain's head into an S3
bucket under Object Lock (compliance mode), the next anchor reads only what came since and links to
the one before, and a chain whose newest records are removed, or that is rewritten with every hash
recomputed, is named by GET /admin/audit/verify and `nija audit verify-anchors`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from audit_events import admin_get, event
from botocore.exceptions import ClientError

from nija import wiring
from nija.adapters.dynamo.audit import AuditRecords, _item
from nija.adapters.dynamo.keys import audit_pk, seq_sk
from nija.cli import main as cli
from nija.config import get_settings, reset_settings
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.audit_anchor import ANCHOR_KEY, Anchor, Head
from nija.domain.audit_chain import link, verify_chain
from nija.domain.errors import Conflict
from nija.local.lambda_runtime import LambdaContext, load_function, scheduled_event
from nija.local.provision import create_anchor_bucket

ALICE, BOB, ADMIN = (
    "a11ce000-0000-4000-8000-0000000000a1",
    "b0b00000-0000-4000-8000-0000000000b2",
    "ad000000-0000-4000-8000-0000000000ad",
)


@pytest.fixture
def anchored(aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    bucket = create_anchor_bucket(get_settings().catalogue)
    monkeypatch.setenv("NIJA_AUDIT_ANCHOR_BUCKET", bucket)
    monkeypatch.setenv("NIJA_AUTH_MODE", "gateway")
    reset_settings()
    audit = wiring.audit_records()
    for n in range(1, 5):
        audit.record(event(ALICE, n))
    for n in range(1, 3):
        audit.record(event(BOB, n))
    yield bucket
    reset_settings()


def s3() -> Any:
    return boto3.client("s3", region_name=get_settings().region)


def run_schedule() -> dict[str, Any]:
    fn = get_settings().catalogue.audit_anchor
    handler = load_function("audit_anchor", "anchors-test").handler
    rule = get_settings().catalogue.audit_anchor_rule_name
    return dict(handler(scheduled_event(rule, get_settings().region), LambdaContext(fn.name)))


def remove_newest(subject: str, seq: int) -> None:
    """Truncate a chain behind the API, as someone with raw table access would."""
    boto3.client("dynamodb", region_name=get_settings().region).delete_item(
        TableName=get_settings().catalogue.audit_table.name,
        Key={"pk": {"S": audit_pk(subject)}, "sk": {"S": seq_sk(seq)}},
    )


def verify(api: Any, **query: str) -> Any:
    return admin_get(api("admin_api"), "audit_verify", ADMIN, **query)


def test_the_schedule_anchors_every_chains_head_write_once(anchored: str) -> None:
    result = run_schedule()
    assert result["chains"] == 2
    assert result["key"].startswith(f"s3://{anchored}/{ANCHOR_KEY}?versionId=")
    stored = s3().get_object(Bucket=anchored, Key=ANCHOR_KEY)
    anchor = Anchor.model_validate_json(stored["Body"].read())
    assert {s: h.seq for s, h in anchor.heads.items()} == {ALICE: 4, BOB: 2}
    assert anchor.heads[ALICE].hash == AuditRecords().chain(ALICE, 3, 1)[0][1].hash
    assert stored["ObjectLockMode"] == "COMPLIANCE"
    assert stored["ObjectLockRetainUntilDate"] > datetime.now(UTC)  # the bucket's default retention
    assert stored["Metadata"]["digest"] == anchor.digest() == result["digest"]
    with pytest.raises(ClientError) as refused:  # compliance mode: nobody may remove it early
        s3().delete_object(Bucket=anchored, Key=ANCHOR_KEY, VersionId=stored["VersionId"])
    assert refused.value.response["Error"]["Code"] == "AccessDenied"


def test_the_next_anchor_moves_on_from_the_last_and_links_to_it(anchored: str) -> None:
    first = run_schedule()
    audit = wiring.audit_records()
    audit.record(AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=BOB, actor=BOB))
    later = datetime.now(UTC) + timedelta(minutes=10)  # past the settling time of the new record
    run = wiring.audit_anchoring().anchor(now=later)  # type: ignore[union-attr]
    anchor, key = run.anchor, run.key
    assert run.broken == [] and first["broken"] == []
    assert key != first["key"]  # a new version; the first stays, locked
    assert {s: h.seq for s, h in anchor.heads.items()} == {ALICE: 4, BOB: 3}
    assert anchor.previous == first["digest"]
    assert wiring.audit_anchoring().anchors.latest() == anchor  # type: ignore[union-attr]
    versions = s3().list_object_versions(Bucket=anchored, Prefix=ANCHOR_KEY)["Versions"]
    assert len(versions) == 2


def test_a_truncated_chain_is_named_though_what_is_left_still_links(anchored: str, api: Any) -> None:
    run_schedule()
    assert verify(api, user_id=ALICE).body == {"ok": True, "checked": 4}
    remove_newest(ALICE, 4)
    reply = verify(api, user_id=ALICE)
    assert reply.status == 200
    assert reply.body["ok"] is False and reply.body["checked"] == 3
    assert reply.body["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "truncated"}
    assert verify(api, user_id=BOB).body["ok"] is True
    assert cli(["audit", "verify-anchors"]) == 1


def test_a_chain_rewritten_with_every_hash_recomputed_is_named(anchored: str, api: Any) -> None:
    run_schedule()
    # Someone with raw access replaces record 2 and relinks 3 and 4 after it: the chain verifies...
    old = [record for _, record in AuditRecords().chain(ALICE, 0, 10)]
    head = old[0]
    forged = []
    for record in old[1:]:
        changed = record.event.model_copy(update={"details": {"n": "forged"}})
        head = link(changed, head)
        forged.append(head)
    dynamodb = boto3.client("dynamodb", region_name=get_settings().region)
    for record in forged:
        dynamodb.put_item(TableName=get_settings().catalogue.audit_table.name, Item=_item(record).serialize())
    assert verify_chain(ALICE, [r for _, r in AuditRecords().chain(ALICE, 0, 10)]) is None
    reply = verify(api, user_id=ALICE)
    # ...link by link, but its head is no longer the anchored one.
    assert reply.body["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "anchor_mismatch"}
    assert cli(["audit", "verify-anchors"]) == 1


def test_without_a_bucket_nothing_is_anchored_and_links_are_still_checked(
    aws: None, api: Any, gateway_mode: None
) -> None:
    assert wiring.audit_anchoring() is None
    with pytest.raises(SystemExit, match="NIJA_AUDIT_ANCHOR_BUCKET"):
        cli(["audit", "anchor"])
    wiring.audit_records().record(event(ALICE, 1))
    assert verify(api, user_id=ALICE).body == {"ok": True, "checked": 1}


def test_the_cli_anchors_now_and_verifies_every_anchored_chain(anchored: str, capsys: Any) -> None:
    assert cli(["audit", "anchor"]) == 0
    assert "anchored 2 chain(s)" in capsys.readouterr().out
    assert cli(["audit", "verify-anchors"]) == 0
    assert "ok: 2 anchored chain(s)" in capsys.readouterr().out


def test_a_tampered_chain_keeps_its_old_head_though_records_were_appended_after(
    anchored: str, api: Any
) -> None:
    first = run_schedule()
    remove_newest(ALICE, 4)
    audit = wiring.audit_records()
    # A new record links after what is left (seq 4 again, another hash); an untouched chain moves on.
    audit.record(AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=ALICE, actor=ALICE))
    audit.record(AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=BOB, actor=BOB))
    later = datetime.now(UTC) + timedelta(minutes=10)
    run = wiring.audit_anchoring().anchor(now=later)  # type: ignore[union-attr]
    assert [(b.subject, b.seq, b.reason.value) for b in run.broken] == [(ALICE, 4, "anchor_mismatch")]
    assert (
        run.anchor.heads[ALICE].hash
        == Anchor.model_validate_json(
            s3()
            .get_object(Bucket=anchored, Key=ANCHOR_KEY, VersionId=first["key"].split("=")[-1])["Body"]
            .read()
        )
        .heads[ALICE]
        .hash
    )  # the old head, not the tampered chain's new one
    assert run.anchor.heads[BOB].seq == 3
    reply = verify(api, user_id=ALICE)
    assert reply.body["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "anchor_mismatch"}
    assert cli(["audit", "verify-anchors"]) == 1


def test_two_runs_at_once_cannot_both_follow_the_same_anchor(anchored: str) -> None:
    from nija.adapters.s3_anchors import S3Anchors
    from nija.logic.audit_anchor import AuditAnchoring

    run_schedule()
    slow = AuditAnchoring(wiring.audit_records(), S3Anchors(anchored))
    follows_first = slow.anchors.latest()  # read, then another run puts the next anchor
    assert run_schedule()["broken"] == []
    assert follows_first is not None
    late = follows_first.model_copy(update={"cut": datetime.now(UTC), "previous": follows_first.digest()})
    with pytest.raises(Conflict):
        slow.anchors.put(late)
    with pytest.raises(Conflict):  # nor can a second "first" anchor be put
        S3Anchors(anchored).put(late.model_copy(update={"previous": None}))
    versions = s3().list_object_versions(Bucket=anchored, Prefix=ANCHOR_KEY)["Versions"]
    assert len(versions) == 2
    assert wiring.audit_anchoring().check_history() == (2, None)  # type: ignore[union-attr]


def test_a_forged_anchor_breaks_the_history(anchored: str, capsys: Any) -> None:
    run_schedule()
    latest = wiring.audit_anchoring().anchors.latest()  # type: ignore[union-attr]
    assert latest is not None
    # Someone holding the anchoring role's rights puts an anchor that rolls Alice's chain back.
    rolled_back = latest.model_copy(
        update={
            "cut": latest.cut + timedelta(hours=1),
            "previous": latest.digest(),
            "heads": {**latest.heads, ALICE: Head(seq=2, hash="0" * 64)},
        }
    )
    wiring.audit_anchoring().anchors.put(rolled_back)  # type: ignore[union-attr]
    assert cli(["audit", "verify-anchors"]) == 1
    assert f"chain {ALICE} went back from seq 4" in capsys.readouterr().out


def test_an_unchanged_anchor_is_not_read_again(anchored: str) -> None:
    store = wiring.audit_anchoring().anchors  # type: ignore[union-attr]
    assert store.latest() is None
    run_schedule()
    first = store.latest()
    assert store.latest() is first  # a 304 for the ETag it holds: the parsed anchor is kept


def test_verifying_every_chain_names_a_truncated_or_vanished_chain(anchored: str, api: Any) -> None:
    run_schedule()
    assert verify(api).body == {"ok": True, "checked": 6}
    for seq in (1, 2):
        remove_newest(BOB, seq)  # Bob's whole chain gone: the walk never meets it
    assert verify(api).body["first_broken"] == {"subject": BOB, "seq": 2, "reason": "truncated"}
    remove_newest(ALICE, 4)
    pages, token = [], None
    for _ in range(10):  # a page at a time: the break is found across calls too
        reply = verify(api, limit="1", **({"next_token": token} if token else {}))
        pages.append(reply.body)
        token = reply.body.get("next_token")
        if token is None:
            break
    assert pages[-1]["first_broken"] == {"subject": ALICE, "seq": 4, "reason": "truncated"}
    assert all(p["ok"] for p in pages[:-1])


def test_each_run_reads_only_what_is_new_and_still_finds_a_late_record(anchored: str) -> None:
    """The by-time index from the last cut on, no further back: an event that happened before that
    cut but reached its chain after it (the audit writer retries for up to a day) is found by the
    marker its append left (nija.domain.audit_anchor.LATE_AFTER)."""
    windows: list[tuple[datetime | None, datetime | None]] = []

    class Watched(AuditRecords):
        def record_positions(self, since, until, limit, cursor):  # type: ignore[no-untyped-def]
            windows.append((since, until))
            return super().record_positions(since, until, limit, cursor)

    anchoring = wiring.audit_anchoring()
    assert anchoring is not None
    first = anchoring.anchor().anchor
    long_ago = first.cut - timedelta(hours=3)
    late = AuditEvent(action="auth.login", outcome=Outcome.SUCCESS, subject=BOB, actor=BOB, at=long_ago)
    wiring.audit_records().record(late)

    later = datetime.now(UTC) + timedelta(minutes=10)
    run = type(anchoring)(Watched(), anchoring.anchors).anchor(now=later)
    assert {s: h.seq for s, h in run.anchor.heads.items()} == {ALICE: 4, BOB: 3}
    assert windows == [(first.cut, later - timedelta(minutes=5))]
