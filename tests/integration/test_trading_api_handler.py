"""trading_api's Lambda handler, invoked with the API Gateway events in events/trading_api, on moto."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.config import get_settings
from nija.domain.messages import PlaceOrder, parse_order_message
from nija.domain.models import BrokerName
from nija.local import identity
from nija.local.lambda_runtime import REPO, event_placeholders, queue_arn, sqs_event

ALICE = "3f6d2c1a-8b4e-4c7d-9a2f-1e5b7c9d0a11"
BOB = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c22"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(ALICE, BOB),
]


def receive(broker: str = "paper") -> list[dict[str, Any]]:
    """Everything visible on the broker's order queue (one receive of up to ten)."""
    url = queue_url(get_settings().catalogue.queue(broker).name)
    return (
        client("sqs")
        .receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
        )
        .get("Messages", [])
    )


@pytest.fixture(autouse=True)
def paper_connected(trading_api) -> None:  # type: ignore[no-untyped-def]
    for user in (ALICE, BOB):
        identity.connect_paper(user)


def test_an_order_for_a_broker_not_connected_is_409(trading_api, load_event) -> None:  # type: ignore[no-untyped-def]
    event = load_event("trading_api/orders_create", user_id=ALICE, idempotency_key="k-kraken")
    event["body"] = json.dumps({**json.loads(event["body"]), "broker": "kraken"})
    r = trading_api.invoke(event)
    assert r.status == 409 and r.error["code"] == "broker_not_connected"
    assert "/v1/brokers/kraken/credentials" in r.error["message"]


def place(trading_api, user: str = ALICE, key: str = "k-0001"):
    return trading_api("orders_create", user_id=user, idempotency_key=key)


def test_health(trading_api) -> None:
    r = trading_api("health")
    assert r.status == 200
    assert r.body["status"] == "ok" and r.body["stage"] == "test" and r.body["version"]


def test_place_order_queues_one_message_grouped_by_user(trading_api) -> None:
    r = place(trading_api)
    assert r.status == 202, r.body
    assert r.body["status"] == "queued"
    assert r.body["order_id"].startswith("int_") and r.body["client_order_id"].startswith("nj")

    (message,) = receive()
    assert message["Attributes"]["MessageGroupId"] == ALICE
    assert message["Attributes"]["MessageDeduplicationId"] == r.body["order_id"]
    body = parse_order_message(message["Body"])
    assert isinstance(body, PlaceOrder)
    intent = body.intent
    assert (intent.intent_id, intent.client_order_id) == (r.body["order_id"], r.body["client_order_id"])
    assert (intent.user_id, intent.broker, intent.symbol, intent.quantity) == (
        ALICE,
        BrokerName.PAPER,
        "BTC/USD",
        Decimal("0.01"),
    )
    assert receive("coinbase") == []


def test_same_idempotency_key_is_the_same_order(trading_api) -> None:
    first, again = place(trading_api, key="retry-me"), place(trading_api, key="retry-me")
    assert first.status == again.status == 202
    assert again.body["order_id"] == first.body["order_id"]
    assert again.body["client_order_id"] == first.body["client_order_id"]

    listed = trading_api("orders_list", user_id=ALICE)
    assert [o["order_id"] for o in listed.body["items"]] == [first.body["order_id"]]
    assert len(receive()) == 1  # the re-send carries the same deduplication id

    other = place(trading_api, key="another-key")
    assert other.body["order_id"] != first.body["order_id"]


def test_list_orders_shows_the_callers_orders_only(trading_api) -> None:
    mine = place(trading_api, ALICE).body
    place(trading_api, BOB)

    r = trading_api("orders_list", user_id=ALICE)
    assert r.status == 200
    (item,) = r.body["items"]
    assert item["order_id"] == mine["order_id"]
    assert (item["broker"], item["symbol"], item["side"], item["type"]) == (
        "paper",
        "BTC/USD",
        "buy",
        "market",
    )
    assert (item["quantity"], item["status"]) == ("0.01", "queued")
    assert "user_id" not in item and "next_token" not in r.body


def test_get_order(trading_api) -> None:
    order_id = place(trading_api).body["order_id"]
    r = trading_api("orders_get", user_id=ALICE, order_id=order_id)
    assert r.status == 200
    assert (r.body["order_id"], r.body["status"]) == (order_id, "queued")


def test_another_users_order_is_not_found(trading_api) -> None:
    order_id = place(trading_api, ALICE).body["order_id"]

    theirs = trading_api("orders_get", user_id=BOB, order_id=order_id)
    assert theirs.status == 404
    assert theirs.error["code"] == "not_found"
    missing = trading_api("orders_get", user_id=BOB, order_id="int_" + "0" * 32)
    assert missing.status == 404
    assert missing.error["message"] == theirs.error["message"].replace(order_id, "int_" + "0" * 32)

    cancel = trading_api("orders_cancel", user_id=BOB, order_id=order_id)
    assert cancel.status == 404 and cancel.error["code"] == "not_found"
    still = trading_api("orders_get", user_id=ALICE, order_id=order_id)
    assert still.body["status"] == "queued" and still.body["cancel_requested"] is False


def test_cancel_a_queued_order(trading_api, executor) -> None:
    placed = place(trading_api).body
    order_id = placed["order_id"]
    r = trading_api("orders_cancel", user_id=ALICE, order_id=order_id)
    assert r.status == 202, r.body
    assert (r.body["order_id"], r.body["status"]) == (order_id, "canceled")
    assert trading_api("orders_get", user_id=ALICE, order_id=order_id).body["status"] == "canceled"

    again = trading_api("orders_cancel", user_id=ALICE, order_id=order_id)
    assert again.status == 409 and again.error["code"] == "conflict"

    # Its place message is still on the queue; when the executor gets it, nothing reaches the broker.
    messages = receive()
    assert [parse_order_message(m["Body"]).kind for m in messages] == ["place"]
    name = get_settings().catalogue.queue("paper").name
    assert executor("paper")(sqs_event(messages, queue_arn("us-east-1", name), "us-east-1")) == {
        "batchItemFailures": []
    }
    assert trading_api("orders_get", user_id=ALICE, order_id=order_id).body["status"] == "canceled"
    assert wiring.broker(BrokerName.PAPER).account(ALICE).get_order(placed["client_order_id"]) is None


def with_body(load_event, key: str, **changes: str) -> dict[str, Any]:
    event = load_event("trading_api/orders_create", user_id=ALICE, idempotency_key=key)
    event["body"] = json.dumps({**json.loads(event["body"]), **changes})
    return event


def test_an_idempotency_key_reused_for_another_quantity_is_a_conflict(trading_api, load_event) -> None:
    first = trading_api.invoke(with_body(load_event, "reused"))
    other = trading_api.invoke(with_body(load_event, "reused", quantity="0.02"))
    assert first.status == 202
    assert other.status == 409 and other.error["code"] == "conflict"
    assert len(trading_api("orders_list", user_id=ALICE).body["items"]) == 1


def test_an_idempotency_key_reused_for_another_side_is_a_conflict(trading_api, load_event) -> None:
    first = trading_api.invoke(with_body(load_event, "reused"))
    other = trading_api.invoke(with_body(load_event, "reused", side="sell"))
    assert first.status == 202
    assert len(trading_api("orders_list", user_id=ALICE).body["items"]) == 1
    assert other.status == 409 and other.error["code"] == "conflict"


def test_positions_and_trades_start_empty(trading_api) -> None:
    for case in ("positions_list", "trades_list"):
        r = trading_api(case, user_id=ALICE)
        assert r.status == 200
        assert r.body["items"] == []


def test_a_filled_order_shows_in_positions_and_trades(trading_api, executor) -> None:
    paper = wiring.broker(BrokerName.PAPER)
    paper.seed_balances(ALICE, {"USD": Decimal("100000")})
    order_id = place(trading_api).body["order_id"]
    name = get_settings().catalogue.queue("paper").name
    result = executor("paper")(sqs_event(receive(), queue_arn("us-east-1", name), "us-east-1"))
    assert result == {"batchItemFailures": []}

    order = trading_api("orders_get", user_id=ALICE, order_id=order_id).body
    assert order["status"] == "filled" and order["filled_quantity"] == "0.01"
    (position,) = trading_api("positions_list", user_id=ALICE).body["items"]
    assert (position["broker"], position["symbol"], position["quantity"]) == ("paper", "BTC/USD", "0.01")
    assert position["average_price"] == order["average_fill_price"]
    assert position["unrealized_pnl"] is not None and position["mark_price"] is not None
    (trade,) = trading_api("trades_list", user_id=ALICE).body["items"]
    assert (trade["order_id"], trade["quantity"], trade["price"]) == (
        order_id,
        "0.01",
        order["average_fill_price"],
    )
    assert trading_api("positions_list", user_id=BOB).body["items"] == []


BAD_ORDERS = [
    ("orders_create_malformed_json", 400, "malformed_json", None),
    ("orders_create_unknown_broker", 422, "invalid_input", "broker"),
    ("orders_create_unknown_symbol", 422, "invalid_input", "symbol"),
    ("orders_create_zero_quantity", 422, "invalid_input", "quantity"),
    ("orders_create_negative_quantity", 422, "invalid_input", "quantity"),
    ("orders_create_too_many_decimals", 422, "invalid_input", "quantity"),
]


def test_bad_order_requests(trading_api) -> None:
    """Each refused with the documented status, code and field, and nothing recorded or queued."""
    for case, status, code, field in BAD_ORDERS:
        r = trading_api(case, user_id=ALICE)
        assert (r.status, r.error["code"], r.error.get("field")) == (status, code, field), (case, r.body)
        if field:
            assert field in r.error["message"], (case, r.body)
    assert trading_api("orders_list", user_id=ALICE).body["items"] == []
    assert receive() == []


def test_no_authorizer_context_is_401(trading_api) -> None:
    r = trading_api("orders_list_no_authorizer")
    assert r.status == 401
    assert r.error["code"] == "unauthenticated"


def test_unknown_route_is_an_error_shape(trading_api, load_event) -> None:
    event = load_event("trading_api/orders_list", user_id=ALICE)
    event["path"] = "/v1/nothing-here"
    event["pathParameters"] = {"proxy": "nothing-here"}
    r = trading_api.invoke(event)
    assert r.status == 404 and r.error["code"] == "not_found"


def test_every_sample_event_is_a_rest_proxy_event(load_event) -> None:
    """The files stay what API Gateway sends: consistent paths, headers and authorizer context."""
    cases = sorted(
        f"{p.parent.name}/{p.stem}"
        for api in ("trading_api", "dashboard_api", "admin_api")
        for p in (REPO / "events" / api).glob("*.json")
    )
    assert {f"trading_api/{c}" for c, *_ in BAD_ORDERS} < set(cases) and len(cases) >= 25
    for case in cases:
        values = {name: "user" if name == "role" else ALICE for name in event_placeholders(case)}
        event = load_event(case, **values)
        context = event["requestContext"]
        assert (context["stage"], context["httpMethod"]) == ("test", event["httpMethod"]), case
        assert context["path"] == f"/test{event['path']}", case
        assert context["resourcePath"] == event["resource"], case
        assert event["multiValueHeaders"] == {k: [v] for k, v in event["headers"].items()}, case
        if event["resource"].endswith("{proxy+}"):
            prefix = event["resource"].removesuffix("{proxy+}")
            assert event["path"] == prefix + event["pathParameters"]["proxy"], case
        authorizer = context.get("authorizer")
        if authorizer is not None:
            assert authorizer["principalId"] == authorizer["user_id"] == ALICE, case
            assert (authorizer["tier"], authorizer["role"]) == ("basic", "user"), case
        if event["httpMethod"] in ("POST", "PUT"):
            assert event["body"] is not None, case
        elif event["httpMethod"] == "GET":  # a DELETE may carry one (DELETE /v1/me's confirmation)
            assert event["body"] is None, case
