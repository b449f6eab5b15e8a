"""The audit outbox's stream records to events (nija.domain.audit_outbox): only an outbox item's
insert carries one, and an item whose keys do not match the event it holds is an error, not a skip."""

from __future__ import annotations

import pytest

from nija.adapters.dynamo.keys import outbox_pk, outbox_sk
from nija.adapters.dynamo.outbox_records import is_outbox, outbox_event
from nija.domain.audit import AuditEvent, Outcome

EVENT = AuditEvent(
    action="orders.place", outcome=Outcome.SUCCESS, subject="u1", actor="u1", details={"a": "1"}
)
KEYS = {"pk": outbox_pk("u1"), "sk": outbox_sk(EVENT.event_id)}
IMAGE = {**KEYS, "event": EVENT.model_dump_json(), "expires_at": 1}


def test_an_outbox_insert_carries_its_event() -> None:
    assert outbox_event("INSERT", KEYS, IMAGE) == EVENT


@pytest.mark.parametrize(
    ("name", "keys", "image"),
    [
        ("REMOVE", KEYS, None),  # the TTL's removal
        ("MODIFY", KEYS, IMAGE),
        ("INSERT", {"pk": "USER#u1", "sk": "ORDER#1"}, {"status": "queued"}),
        ("INSERT", {"pk": "USER#u1", "sk": outbox_sk("e")}, IMAGE),  # the right sk in a user partition
    ],
)
def test_nothing_else_carries_one(name: str, keys: dict[str, str], image: dict[str, object] | None) -> None:
    assert outbox_event(name, keys, image) is None


def test_an_item_holding_another_event_is_an_error() -> None:
    other = {"pk": outbox_pk("u2"), "sk": outbox_sk(EVENT.event_id)}
    with pytest.raises(ValueError, match="another event"):
        outbox_event("INSERT", other, {**IMAGE, **other})


def test_a_malformed_event_is_an_error() -> None:
    with pytest.raises(ValueError):
        outbox_event("INSERT", KEYS, {**IMAGE, "event": "{not json"})


def test_the_filter_keeps_outbox_items_only() -> None:
    assert is_outbox(KEYS)
    assert not is_outbox({"pk": "USER#u1", "sk": "AUDIT#x"})
    assert not is_outbox({"pk": outbox_pk("u1"), "sk": "ORDER#x"})
