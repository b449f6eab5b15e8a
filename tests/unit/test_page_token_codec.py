"""The page-token codec on its own: a key goes back only if it is exactly a key of the query's table
and index as the catalogue defines them (names, S/N/B types, DynamoDB's limits), in its range."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nija.adapters.dynamo.cursor import Listing, decode_cursor, encode_cursor
from nija.catalogue import Index, KeyAttr, TableDef, catalogue
from nija.domain.errors import InvalidInput
from nija.domain.tokens import MAX_TOKEN, decode_token

# A table with a number and a binary key, beside the catalogue's string keys.
LEDGER = TableDef(
    "Ledger",
    "ledger",
    KeyAttr("pk"),
    KeyAttr("n", "N"),
    indexes=(Index("by_blob", KeyAttr("ipk"), KeyAttr("blob", "B")),),
)


def raw(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


def refused(token: str, listing: Listing) -> bool:
    try:
        decode_cursor(token, listing)
    except InvalidInput as exc:
        assert exc.field == "next_token"
        return True
    return False


def test_types_come_from_the_table_definition() -> None:
    listing = Listing(LEDGER, "by_blob", fixed={"pk": "A", "ipk": "I"})
    good = {"pk": {"S": "A"}, "n": {"N": "-12.5e3"}, "ipk": {"S": "I"}, "blob": {"B": "AAEC"}}
    assert decode_cursor(raw(good), listing) == good
    for number in ("1e126", "1e-131", "1" * 39, "01", "1.", ".5", "NaN", "Infinity", "0x10", "", " 1"):
        assert refused(raw({**good, "n": {"N": number}}), listing), number
    for number in ("0", "0.000", "-0", "9" * 38, "1e125", "1E-130"):
        assert not refused(raw({**good, "n": {"N": number}}), listing), number
    for blob in ("", "!!!!", "AAE", "A" * 1400):  # empty, not base64, unpadded, over 1024 bytes
        assert refused(raw({**good, "blob": {"B": blob}}), listing), blob
    assert refused(raw({**good, "n": {"S": "1"}}), listing)  # the right value, the wrong type


def test_a_listing_names_only_attributes_of_its_table_and_index() -> None:
    state = catalogue("test").state_table
    with pytest.raises(ValueError, match="gsi1pk"):
        Listing(state, "gsi2", fixed={"gsi1pk": "x"})
    with pytest.raises(KeyError):
        Listing(state, "gsi9")
    with pytest.raises(ValueError, match="string"):
        Listing(LEDGER, "by_blob", fixed={"n": "1"})


def test_a_sort_key_outside_the_range_the_query_reads_is_refused() -> None:
    state = catalogue("test").state_table
    listing = Listing(state, "gsi2", fixed={"gsi2pk": "P", "pk": "P"}, low="b", high="d~")
    key = {"pk": {"S": "P"}, "sk": {"S": "s"}, "gsi2pk": {"S": "P"}}
    assert not refused(raw({**key, "gsi2sk": {"S": "c#1"}}), listing)
    assert not refused(raw({**key, "gsi2sk": {"S": "d#9"}}), listing)
    assert refused(raw({**key, "gsi2sk": {"S": "a#1"}}), listing)
    assert refused(raw({**key, "gsi2sk": {"S": "e"}}), listing)


def test_the_envelope_is_bounded() -> None:
    for token in ("x" * (MAX_TOKEN + 1), "é", raw("[" * 2000)[: MAX_TOKEN - 4], "%%%"):
        with pytest.raises(InvalidInput):
            decode_token(token)
    nested = base64.urlsafe_b64encode(b"[" * 1500).decode()  # the JSON decoder's stack, not ours
    assert len(nested) <= MAX_TOKEN
    with pytest.raises(InvalidInput):
        decode_token(nested)


# The keys the listings issue are ids and times, well under this; at 60 characters of any kind (a
# control character is 6 bytes of JSON) four attributes still fit a 2,048-character token.
STRINGS = st.text(st.characters(codec="utf-8"), min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(pk=STRINGS, sk=STRINGS, sort=STRINGS)
def test_every_key_the_listing_could_issue_comes_back_whole(pk: str, sk: str, sort: str) -> None:
    listing = Listing(catalogue("test").state_table, "gsi2", fixed={"pk": pk, "gsi2pk": pk})
    key = {"pk": {"S": pk}, "sk": {"S": sk}, "gsi2pk": {"S": pk}, "gsi2sk": {"S": sort}}
    token = encode_cursor(key)
    assert token is not None and decode_cursor(token, listing) == key
