"""A page token is input: every listing checks it whole and answers 422 naming next_token, never
500, for a token of the caller's own partition whose key is malformed (a number where a string
belongs, empty maps, another index's or another listing's keys), and 200 for every key of exactly
the listing's shape. A property over every paged route: keys drawn in the listing's shape page,
every one-step mutation of them is refused."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from audit_events import T0, admin_get
from audit_events import event as audit_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nija import wiring
from nija.domain.audit_chain import MAX_SEQ
from nija.domain.models import BrokerName, Principal
from nija.domain.tokens import MAX_TOKEN
from nija.local import identity
from nija.logic import orders
from nija.logic.orders import OrderRequest

USER = "a11ce000-0000-4000-8000-00000000fa9e"
ADMIN = "ad000000-0000-4000-8000-00000000fa9e"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(USER, ADMIN),
]
PK = f"USER#{USER}"
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def token(value: Any) -> str:
    # Raw UTF-8 (a key's length is in bytes), and a lone surrogate as the JSON escape that makes one.
    text = json.dumps(value, ensure_ascii=False)
    return base64.urlsafe_b64encode(text.encode("utf-8", "backslashreplace")).decode()


def key(**attributes: Any) -> dict[str, Any]:
    return {name: ({"S": v} if isinstance(v, str) else v) for name, v in attributes.items()}


ORDER_KEY = key(pk=PK, sk="ORDER#int_1", gsi2pk=PK, gsi2sk="ORDER#2026-01-01T00:00:00.000000Z#int_1")
TRADE_KEY = key(pk=PK, sk="TRADE#paper#int_1#t1", gsi2pk=PK, gsi2sk="TRADE#2026-01-01T00:00:00.000000Z#t1")


def malformed(good: dict[str, Any], other_listing: dict[str, Any]) -> dict[str, Any]:
    """Tokens of the caller's own partition whose key is not the listing's."""
    return {
        "number_for_string": {**good, "sk": {"N": "1"}},
        "empty_map": {**good, "gsi2sk": {}},
        "two_types": {**good, "sk": {"S": good["sk"]["S"], "N": "1"}},
        "string_not_map": {**good, "sk": good["sk"]["S"]},
        "not_a_string": {**good, "gsi2sk": {"S": 7}},
        "empty_string": {**good, "sk": {"S": ""}},
        "another_index": {**key(pk=PK, sk=good["sk"]["S"]), **key(gsi1pk=PK, gsi1sk=good["gsi2sk"]["S"])},
        "partition_only": key(pk=PK),
        "extra_attribute": {**good, **key(gsi3pk=PK)},
        "another_listings_key": other_listing,
        "index_of_another_user": {**good, **key(gsi2pk="USER#someone-else")},
        "too_long": {**good, **key(gsi2sk=good["gsi2sk"]["S"] + "x" * 2000)},
        "too_many_bytes": {**good, **key(gsi2sk="ORDER#" + "\U0001f600" * 257)},  # 263 characters
        "lone_surrogate": {**good, **key(sk=good["sk"]["S"] + "\ud800")},
        "a_list": [good],
        "null": None,
    }


def with_query(event: dict[str, Any], **query: str) -> dict[str, Any]:
    return {
        **event,
        "queryStringParameters": {**(event.get("queryStringParameters") or {}), **query},
        "multiValueQueryStringParameters": {
            **(event.get("multiValueQueryStringParameters") or {}),
            **{k: [v] for k, v in query.items()},
        },
    }


def _refused(response: Any, name: str) -> None:
    assert response.status == 422, (name, response.status, response.body)
    assert response.body["error"]["field"] == "next_token", name


@pytest.mark.parametrize("case", ["orders_list", "trades_list"])
def test_orders_and_trades_refuse_every_malformed_token(trading_api: Any, case: str) -> None:
    base = trading_api.event(case, user_id=USER)
    good, other = (ORDER_KEY, TRADE_KEY) if case == "orders_list" else (TRADE_KEY, ORDER_KEY)
    for name, value in malformed(good, other).items():
        _refused(trading_api.invoke(with_query(base, next_token=token(value))), name)
    nested = base64.urlsafe_b64encode(b"[" * 1500).decode()  # deeper than the JSON decoder's stack
    for name, raw in {"not_base64": "%%%", "not_json": "bm90IGpzb24", "nested": nested}.items():
        _refused(trading_api.invoke(with_query(base, next_token=raw)), name)
    assert trading_api.invoke(with_query(base, next_token=token(good))).status == 200  # the shape itself


def test_a_real_token_still_pages(trading_api: Any) -> None:
    identity.connect_paper(USER)
    for n in range(3):
        request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side="buy", quantity="0.001")  # type: ignore[arg-type]
        orders.place_order(Principal(user_id=USER), request, f"k{n}", wiring.orders(), wiring.order_queue())
    first = trading_api.invoke(with_query(trading_api.event("orders_list", user_id=USER), limit="2"))
    assert first.status == 200 and len(first.body["items"]) == 2 and first.body["next_token"]
    second = trading_api.invoke(
        with_query(
            trading_api.event("orders_list", user_id=USER), limit="2", next_token=first.body["next_token"]
        )
    )
    assert second.status == 200 and len(second.body["items"]) == 1


@pytest.mark.parametrize("case", ["users_list", "audit_search"])
def test_admin_listings_refuse_every_malformed_token(
    gateway_mode: None, aws: None, api: Any, case: str
) -> None:
    admin = api("admin_api")
    values = {"limit": "10", "next_token": "x"} if case == "users_list" else {"subject": USER}
    base = admin.event(case, user_id=ADMIN, role="admin", **values)
    users_key = key(pk=PK, sk="PROFILE", gsi2pk="USERS", gsi2sk="2026-01-01T00:00:00+00:00#" + USER)
    audit_key = key(pk=f"AUDIT#{USER}", sk="00000001", gsi2pk=f"AUDIT#{USER}", gsi2sk="2026#1")
    good = users_key if case == "users_list" else audit_key
    for name, value in {
        "number_for_string": {**good, "sk": {"N": "1"}},
        "empty_map": {**good, "gsi2sk": {}},
        "another_index": {**key(pk=PK, sk="PROFILE"), **key(gsi1pk="USERS", gsi1sk="x")},
        "partition_only": {"gsi2pk": good["gsi2pk"]},
        "a_list": [good],
        "another_chain": {**good, "pk": {"S": "AUDIT#someone-else"}} if case == "audit_search" else None,
    }.items():
        _refused(admin.invoke(with_query(base, next_token=token(value))), name)


def test_a_real_audit_token_pages_within_since_and_until(gateway_mode: None, aws: None, api: Any) -> None:
    """The range check refuses no token the listing issued itself (its key is inside the range)."""
    for n in range(1, 6):
        wiring.audit_records().record(audit_event(USER, n))
    admin, window = (
        api("admin_api"),
        {"since": T0.isoformat(), "until": (T0 + timedelta(hours=1)).isoformat()},
    )
    seen, next_token = [], None
    while True:
        page = admin_get(admin, "audit_search", ADMIN, user_id=USER, limit=2, next_token=next_token, **window)
        assert page.status == 200, page.body
        seen += [item["seq"] for item in page.body["items"]]
        next_token = page.body.get("next_token")
        if next_token is None:
            break
    assert seen == [5, 4, 3, 2, 1]


# --- the property, over every paged route ---------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8"), min_size=1, max_size=24)  # any UTF-8 text, no surrogates
LOW, HIGH = "2026-01-01T00:00:00.000000Z", "2026-02-01T00:00:00.000000Z~"  # since and until below
SORT_KEYS = {"sk", "gsi1sk", "gsi2sk", "gsi3sk", "gsi4sk"}


@dataclass(frozen=True)
class Attr:
    """What a listing's key holds in one attribute: exactly `fixed`, or `prefix` and any text, or a
    time between LOW and HIGH."""

    fixed: str | None = None
    prefix: str = ""
    in_range: bool = False

    def values(self) -> st.SearchStrategy[str]:
        if self.fixed is not None:
            return st.just(self.fixed)
        if self.in_range:
            return st.builds(
                lambda day, rest: f"2026-01-{day:02d}T00:00:00.000000Z#{rest}", st.integers(1, 31), TEXT
            )
        return TEXT.map(lambda text: self.prefix + text)


@dataclass(frozen=True)
class Route:
    api: str
    case: str
    query: dict[str, str]
    attrs: dict[str, Attr] = field(default_factory=dict)


ROUTES = {
    "orders": Route(
        "trading_api",
        "orders_list",
        {},
        {"pk": Attr(PK), "sk": Attr(prefix="ORDER#"), "gsi2pk": Attr(PK), "gsi2sk": Attr(prefix="ORDER#")},
    ),
    "trades": Route(
        "trading_api",
        "trades_list",
        {},
        {"pk": Attr(PK), "sk": Attr(prefix="TRADE#"), "gsi2pk": Attr(PK), "gsi2sk": Attr(prefix="TRADE#")},
    ),
    "users": Route(
        "admin_api",
        "users_list",
        {"limit": "10"},
        {"pk": Attr(prefix="USER#"), "sk": Attr("PROFILE"), "gsi2pk": Attr("USERS"), "gsi2sk": Attr()},
    ),
    "audit_by_user": Route(
        "admin_api",
        "audit_search",
        {"user_id": USER},
        {"pk": Attr(f"AUDIT#{USER}"), "sk": Attr(), "gsi2pk": Attr(f"AUDIT#{USER}"), "gsi2sk": Attr()},
    ),
    "audit_by_user_and_time": Route(
        "admin_api",
        "audit_search",
        {"user_id": USER, "since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
        {
            "pk": Attr(f"AUDIT#{USER}"),
            "sk": Attr(),
            "gsi2pk": Attr(f"AUDIT#{USER}"),
            "gsi2sk": Attr(in_range=True),
        },
    ),
    "audit_by_actor": Route(
        "admin_api",
        "audit_search",
        {"actor": ADMIN},
        {"pk": Attr(prefix="AUDIT#"), "sk": Attr(), "gsi4pk": Attr(f"ACTOR#{ADMIN}"), "gsi4sk": Attr()},
    ),
    "audit_by_time": Route(
        "admin_api",
        "audit_search",
        {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
        {"pk": Attr(prefix="AUDIT#"), "sk": Attr(), "gsi1pk": Attr("AUDIT"), "gsi1sk": Attr(in_range=True)},
    ),
}


@st.composite
def good_keys(draw: st.DrawFn, route: Route) -> dict[str, Any]:
    return {name: {"S": draw(attr.values())} for name, attr in route.attrs.items()}


BAD_VALUES = st.sampled_from(
    [{"N": "1"}, {"B": "eA=="}, {}, {"S": "x", "N": "1"}, {"SS": ["x"]}, {"NULL": True}, {"s": "x"}]
    + [{"S": v} for v in ("", 7, None, ["x"], {"S": "x"}, "x\ud800")]
    + ["x", 7, None, True, ["x"]]
)


@st.composite
def bad_keys(draw: st.DrawFn, route: Route) -> Any:
    """A listing's key, wrong in one way."""
    good = draw(good_keys(route))
    name = draw(st.sampled_from(sorted(route.attrs)))
    attr = route.attrs[name]
    ways = ["drop", "add", "type", "not_a_dict"]
    if attr.fixed is not None:
        ways.append("another_partition")
    elif attr.prefix:
        ways.append("no_prefix")
    if attr.in_range:
        ways.append("out_of_range")
    if name in SORT_KEYS and attr.fixed is None:
        ways.append("too_many_bytes")
    way = draw(st.sampled_from(ways))
    if way == "drop":
        del good[name]
    elif way == "add":
        extra = draw(
            st.sampled_from(["gsi1pk", "gsi1sk", "gsi2pk", "gsi3pk", "gsi4sk", "seq", "x"]).filter(
                lambda n: n not in good
            )
        )
        good[extra] = {"S": draw(TEXT)}
    elif way == "type":
        good[name] = draw(BAD_VALUES)
    elif way == "not_a_dict":
        return draw(st.sampled_from([[good], list(good), None, 7, "token", True]))
    elif way == "another_partition":
        good[name] = {"S": draw(TEXT.filter(lambda t: t != attr.fixed))}
    elif way == "no_prefix":
        good[name] = {"S": draw(TEXT.filter(lambda t: not t.startswith(attr.prefix)))}
    elif way == "out_of_range":
        good[name] = {
            "S": draw(
                st.sampled_from(["2025-12-31T23:59:59.999999Z#1", "2026-02-01T00:00:01.000000Z#1", "#"])
            )
        }
    else:
        good[name] = {"S": attr.prefix + "\U0001f600" * 257}  # over 1024 bytes, in 257 characters
    return good


def _invoker(route: Route, trading_api: Any, api: Callable[[str], Any]) -> Callable[[str], Any]:
    if route.api == "trading_api":
        base = trading_api.event(route.case, user_id=USER)
        return lambda next_token: trading_api.invoke(with_query(base, **route.query, next_token=next_token))
    admin = api("admin_api")
    placeholders = {"limit": "1", "next_token": "x"} if route.case == "users_list" else {"subject": ADMIN}
    base = admin.event(route.case, user_id=ADMIN, role="admin", **placeholders)

    def invoke(next_token: str) -> Any:
        query = {**route.query, "next_token": next_token}
        event = {
            **base,
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in query.items()},
        }
        return admin.invoke(event)

    return invoke


@pytest.mark.parametrize("name", sorted(ROUTES))
def test_every_paged_route_takes_exactly_its_keys(trading_api: Any, api: Any, name: str) -> None:
    route = ROUTES[name]
    invoke = _invoker(route, trading_api, api)

    @PROPERTY
    @given(st.one_of(good_keys(route).map(lambda k: (True, k)), bad_keys(route).map(lambda k: (False, k))))
    def check(case: tuple[bool, Any]) -> None:
        good, value = case
        encoded = token(value)
        assert len(encoded) <= MAX_TOKEN
        reply = invoke(encoded)
        if good:
            assert reply.status == 200, (value, reply.body)
        else:
            _refused(reply, repr(value))

    check()


VERIFY_SCOPES = {"one_chain": {"user_id": USER}, "every_chain": {}}
HASHES = st.text("0123456789abcdef", min_size=64, max_size=64)


@st.composite
def positions(draw: st.DrawFn, scope: str) -> dict[str, Any]:
    subject = (
        USER
        if scope == "one_chain"
        else draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=200))
    )
    return {
        "scope": f"user:{USER}" if scope == "one_chain" else "all",
        "subject": subject,
        "seq": draw(st.integers(1, MAX_SEQ)),
        "hash": draw(HASHES),
    }


@st.composite
def bad_positions(draw: st.DrawFn, scope: str) -> Any:
    good = draw(positions(scope))
    name = draw(st.sampled_from(sorted(good)))
    wrong = {
        "scope": ["all" if scope == "one_chain" else f"user:{USER}", "", 7, None],
        "subject": ["", "x" * 201, 7, None, ["x"]] + (["someone-else"] if scope == "one_chain" else []),
        "seq": [0, -1, MAX_SEQ + 1, 10**40, True, "1", 1.0, None],
        "hash": ["g" * 64, "A" * 64, "0" * 63, 7, None],
    }[name]
    way = draw(st.sampled_from(["drop", "add", "wrong", "not_a_dict"]))
    if way == "drop":
        del good[name]
    elif way == "add":
        good["extra"] = 1
    elif way == "wrong":
        good[name] = draw(st.sampled_from(wrong))
    else:
        return draw(st.sampled_from([[good], None, 7, "token"]))
    return good


@pytest.mark.parametrize("scope", sorted(VERIFY_SCOPES))
def test_audit_verify_takes_exactly_a_position_in_the_chains(
    gateway_mode: None, aws: None, api: Any, scope: str
) -> None:
    admin = api("admin_api")

    @PROPERTY
    @given(
        st.one_of(positions(scope).map(lambda p: (True, p)), bad_positions(scope).map(lambda p: (False, p)))
    )
    def check(case: tuple[bool, Any]) -> None:
        good, value = case
        reply = admin_get(admin, "audit_verify", ADMIN, **VERIFY_SCOPES[scope], next_token=token(value))
        if good:
            assert reply.status == 200, (value, reply.body)
        else:
            _refused(reply, repr(value))

    check()
