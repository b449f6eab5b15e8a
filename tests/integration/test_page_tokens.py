"""A page token is input: every listing checks it whole and answers 422 naming next_token, never
500, for a token of the caller's own partition whose key is malformed (a number where a string
belongs, empty maps, another index's or another listing's keys)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from nija import wiring
from nija.domain.models import BrokerName, Principal
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


def token(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


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
    for name, raw in {"not_base64": "%%%", "not_json": "bm90IGpzb24"}.items():
        _refused(trading_api.invoke(with_query(base, next_token=raw)), name)
    assert trading_api.invoke(with_query(base, next_token=token(good))).status == 200  # the shape itself


def test_a_real_token_still_pages(trading_api: Any) -> None:
    identity.connect_paper(USER)
    for n in range(3):
        request = OrderRequest(broker=BrokerName.PAPER, symbol="BTC/USD", side="buy", quantity="0.001")  # type: ignore[arg-type]
        orders.place_order(Principal(user_id=USER), request, f"k{n}", wiring.store(), wiring.order_queue())
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
    }.items():
        _refused(admin.invoke(with_query(base, next_token=token(value))), name)
