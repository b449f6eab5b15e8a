"""Page tokens over DynamoDB: a query's last evaluated key, checked whole before it goes back.

A token is input (nija.domain.tokens decodes it). Its key must be exactly a key of the query it
pages: the attributes of the table's key and of the index queried, each of the type the catalogue
gives it (nija.catalogue, the definitions the tables are created from) and within DynamoDB's size
limits, naming the caller's own partition, and inside the range the query's key condition reads.
Anything else is a 422 naming next_token, never a request DynamoDB refuses (a 500).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from nija.catalogue import KeyAttr, TableDef
from nija.config import get_settings
from nija.domain.tokens import decode_token, encode_token, refused

MAX_PARTITION_BYTES = 2048  # DynamoDB's limits on a key attribute's value (UTF-8 or raw bytes)
MAX_SORT_BYTES = 1024
_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
MAX_NUMBER_DIGITS = 38  # DynamoDB's precision; magnitudes from 1e-130 to below 1e126
MIN_EXPONENT, MAX_EXPONENT = -130, 125


@dataclass(frozen=True)
class Listing:
    """One paged query: the table and index it reads, and what its key may hold there: `fixed`
    attributes (the partition it reads, the caller's own), `prefixed` ones, and the range
    [`low`, `high`] of the index's sort key that its key condition reads (None: unbounded)."""

    table: TableDef
    index: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    prefixed: Mapping[str, str] = field(default_factory=dict)
    low: str | None = None
    high: str | None = None

    def __post_init__(self) -> None:
        attributes = self.attributes
        for name in (*self.fixed, *self.prefixed):
            if attributes.get(name, (KeyAttr(name, "?"), 0))[0].type != "S":
                raise ValueError(f"{name} is no string key attribute of {self.table.name} {self.index}")
        sort = self.table.index(self.index).sort_key
        if (self.low is not None or self.high is not None) and (sort is None or sort.type != "S"):
            raise ValueError(f"index {self.index} has no string sort key to bound")

    @property
    def attributes(self) -> dict[str, tuple[KeyAttr, int]]:
        """Each attribute of the query's last evaluated key (the table's key, then the index's) with
        the size limit of its values."""
        index = self.table.index(self.index)
        found: dict[str, tuple[KeyAttr, int]] = {}
        for attr, limit in (
            (self.table.partition_key, MAX_PARTITION_BYTES),
            (self.table.sort_key, MAX_SORT_BYTES),
            (index.partition_key, MAX_PARTITION_BYTES),
            (index.sort_key, MAX_SORT_BYTES),
        ):
            if attr is not None:
                found.setdefault(attr.name, (attr, limit))
        return found


def newest_first(
    model: Any, pk: str, kind: str, limit: int, cursor: str | None
) -> tuple[list[Any], str | None]:
    """A page of one user's items of one kind (orders, trades: a model with a `by_time` index on gsi2)
    newest first, and the next page's token: the user's own partition, sort keys of that kind only."""
    listing = Listing(
        get_settings().catalogue.state_table,
        model.by_time.Meta.index_name,
        fixed={"pk": pk, "gsi2pk": pk},
        prefixed={"sk": kind, "gsi2sk": kind},
    )
    result = model.by_time.query(
        pk,
        model.gsi2sk.startswith(kind),
        limit=limit,
        last_evaluated_key=decode_cursor(cursor, listing),
        scan_index_forward=False,
    )
    return list(result), encode_cursor(result.last_evaluated_key)


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    return encode_token(key) if key else None


def decode_cursor(cursor: str | None, listing: Listing) -> dict[str, Any] | None:
    """The key a token carries, if it is a key of exactly this listing; else InvalidInput."""
    if not cursor:
        return None
    key = decode_token(cursor)
    attributes = listing.attributes
    if not isinstance(key, dict) or set(key) != set(attributes):
        raise refused()
    for name, value in key.items():
        attr, limit = attributes[name]
        text = _scalar(value, attr.type, limit)
        if name in listing.fixed and text != listing.fixed[name]:
            raise refused()
        if name in listing.prefixed and not text.startswith(listing.prefixed[name]):
            raise refused()
    sort = listing.table.index(listing.index).sort_key
    if sort is not None and (listing.low is not None or listing.high is not None):
        text = key[sort.name]["S"]
        if (listing.low is not None and text < listing.low) or (
            listing.high is not None and text > listing.high
        ):
            raise refused()
    return dict(key)


def _scalar(value: Any, kind: str, limit: int) -> str:
    """A key attribute's value as DynamoDB's JSON gives it: {kind: text}, nothing else."""
    if not isinstance(value, dict) or set(value) != {kind} or not isinstance(value[kind], str):
        raise refused()
    text: str = value[kind]
    if kind == "S":
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:  # a lone surrogate: no UTF-8 text at all
            raise refused() from None
    elif kind == "N":
        size = len(text)
        if not _NUMBER.fullmatch(text) or not _number_fits(text):
            raise refused()
    else:  # B
        try:
            size = len(base64.b64decode(text, validate=True))
        except (ValueError, binascii.Error):
            raise refused() from None
    if not 0 < size <= limit:
        raise refused()
    return text


def _number_fits(text: str) -> bool:
    try:
        number = Decimal(text)
        significant = "".join(map(str, number.as_tuple().digits)).strip("0")
        return not significant or (
            len(significant) <= MAX_NUMBER_DIGITS and MIN_EXPONENT <= number.adjusted() <= MAX_EXPONENT
        )
    except ArithmeticError:  # an exponent beyond what Decimal holds
        return False
