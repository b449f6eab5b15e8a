"""A disabled, erasing or erased account acts no more, whatever a cache upstream believes: every write
for it checks its profile in the write's own transaction (nija.domain.standing).

The API functions here trust the authorizer context, as deployed: a context naming an erased or
disabled user is what API Gateway's authorizer cache hands on for up to its TTL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from botocore.stub import Stubber
from kit import connect_kraken, queued_event

from nija import wiring
from nija.adapters.apigateway_verdicts import ApiGatewayVerdicts
from nija.adapters.aws import client
from nija.adapters.dynamo import keys
from nija.adapters.dynamo.user_data import DynamoUserRecords
from nija.adapters.paper.broker import PaperBroker
from nija.api.verdicts import VerdictCache
from nija.config import get_settings, reset_settings
from nija.domain.errors import AccountInactive, Conflict
from nija.domain.models import BrokerName, Principal, UserStatus
from nija.domain.orders import Order, OrderStatus
from nija.domain.standing import ACCOUNT_DELETION
from nija.local import identity
from nija.logic import orders
from nija.logic.orders import OrderRequest

ADMIN = "ad000000-0000-4000-8000-0000005a4d02"
EMAIL = "alice-standing@example.test"
pytestmark = [
    pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning"),
    pytest.mark.members(ADMIN),
]
BUY = {"broker": "paper", "symbol": "BTC/USD", "side": "buy", "type": "market", "quantity": "0.01"}


@pytest.fixture
def alice(gateway_mode: None, aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A signed-up user (her id is the directory's) in a Cognito pool on moto: an erasure deletes her
    there too."""
    made = identity.create_user_pool(get_settings().catalogue)
    monkeypatch.setenv("NIJA_USER_POOL_ID", made.pool_id)
    monkeypatch.setenv("NIJA_USER_POOL_CLIENT_ID", made.client_id)
    reset_settings()
    yield identity.create_confirmed_user(made, EMAIL, "Standing-Passw0rd-42!", wiring.users())
    reset_settings()


def _partition(pk: str) -> list[dict[str, Any]]:
    return client("dynamodb").query(
        TableName=get_settings().catalogue.state_table.name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )["Items"]


def _secrets(user: str) -> list[Any]:
    name = get_settings().catalogue.secret_name(user)
    return client("secretsmanager").list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]


def _place(user: str, key: str) -> Order:
    request = OrderRequest.model_validate(BUY)
    return orders.place_order(Principal(user_id=user), request, key, wiring.orders(), wiring.order_queue())


def _deliver(executor: Any) -> dict[str, Any]:
    """Receive the paper queue's messages and hand them to its executor, as Lambda's SQS source does."""
    result: dict[str, Any] = executor("paper")(queued_event("paper"))
    return result


def _paper_orders(user: str) -> list[dict[str, Any]]:
    return [i for i in _partition(keys.paper_pk(user)) if not i["sk"]["S"].startswith("BAL")]


def _erase(user: str) -> None:
    wiring.data_rights().delete_account(user, EMAIL)


def test_an_erased_users_cached_context_writes_nothing(trading_api: Any, api: Any, alice: str) -> None:
    identity.connect_paper(alice)
    connect_kraken(alice)
    assert _secrets(alice) != []
    _erase(alice)
    assert _partition(keys.user_pk(alice)) == [] and _secrets(alice) == []
    dashboard = api("dashboard_api")

    writes = {
        "credentials": trading_api("brokers_put_paper", user_id=alice),
        "order": trading_api("orders_create", user_id=alice, idempotency_key="after-erasure"),
        "kill_switch": trading_api("kill_switch", user_id=alice),
        "settings": dashboard.invoke(
            {
                **dashboard.event("settings_put", user_id=alice),
                "body": json.dumps({"strategy": {"enabled": False}, "risk": {}}),
            }
        ),
        "device": dashboard("devices_register", user_id=alice, token="standing-device-token"),
    }
    for name, response in writes.items():
        assert response.status == 403, (name, response.status, response.body)
        assert response.body["error"]["code"] == "account_inactive", name

    assert _partition(keys.user_pk(alice)) == []
    assert _partition(keys.paper_pk(alice)) == []
    assert _secrets(alice) == []  # no secret for a user no erasure could find again


def test_a_disabled_users_cached_context_writes_nothing(trading_api: Any, api: Any, alice: str) -> None:
    identity.connect_paper(alice)
    wiring.accounts().set_status(ADMIN, alice, UserStatus.DISABLED)
    before = _partition(keys.user_pk(alice))

    placed = trading_api("orders_create", user_id=alice, idempotency_key="while-disabled")
    assert placed.status == 403 and placed.body["error"]["code"] == "account_inactive"
    assert api("dashboard_api")("settings_put", user_id=alice).status == 403
    assert trading_api("brokers_delete_paper", user_id=alice).status == 403
    assert _partition(keys.user_pk(alice)) == before


def test_an_order_queued_before_an_erasure_is_never_sent_nor_recreated(executor: Any, alice: str) -> None:
    identity.connect_paper(alice)
    order = _place(alice, "racing-the-erasure")
    # What an erasure racing this order leaves: the mark, the purge, then the profile gone.
    wiring.users().update_user(alice, trading_disabled_reason=ACCOUNT_DELETION)
    DynamoUserRecords().purge(alice, EMAIL)
    DynamoUserRecords().delete_profile(alice)

    assert _deliver(executor) == {"batchItemFailures": []}  # done with: a retry could not help

    assert wiring.orders().get_order(alice, order.order_id) is None
    assert _partition(keys.user_pk(alice)) == [] and _paper_orders(alice) == []


def test_a_disabled_users_queued_order_is_refused_not_sent(executor: Any, alice: str) -> None:
    identity.connect_paper(alice)
    order = _place(alice, "queued-then-disabled")
    wiring.accounts().set_status(ADMIN, alice, UserStatus.DISABLED)

    assert _deliver(executor) == {"batchItemFailures": []}

    refused = wiring.orders().get_order(alice, order.order_id)
    assert refused is not None and refused.status is OrderStatus.REJECTED
    assert refused.reason_code == "trading_disabled"
    assert _paper_orders(alice) == []


def test_an_order_of_a_user_without_a_profile_is_refused_before_the_broker(alice: str) -> None:
    paper = wiring.broker(BrokerName.PAPER)
    assert isinstance(paper, PaperBroker)
    paper.seed_balances(alice, {"USD": Decimal("100000")})
    order = Order.from_intent(
        orders.build_intent(Principal(user_id=alice), OrderRequest.model_validate(BUY), "ghost")
    )
    DynamoUserRecords().delete_profile(alice)
    guard = wiring.guard()
    refusal = guard(order, paper.account(alice), guard.state(order))
    assert refusal is not None and refusal.code == "trading_disabled"


def test_an_order_placed_while_the_erasure_begins_stops_it_and_lifts_its_mark(alice: str) -> None:
    identity.connect_paper(alice)
    connect_kraken(alice)

    class Racing(DynamoUserRecords):
        """The first look finds no open order; a request lands between it and the mark."""

        looks = 0

        def open_orders(self, user_id: str) -> list[str]:
            Racing.looks += 1
            if Racing.looks == 1:
                found = super().open_orders(user_id)
                _place(alice, "just-in-time")
                return found
            return super().open_orders(user_id)

    rights = wiring.data_rights()
    racing = type(rights)(**{**rights.__dict__, "records": Racing()})
    with pytest.raises(Conflict) as refused:
        racing.delete_account(alice, EMAIL)
    assert refused.value.code == "open_orders"
    profile = wiring.users().get_user(alice)
    assert profile is not None and profile.trading_disabled_reason is None  # the mark is lifted
    assert _secrets(alice) != []  # nothing was erased


def test_an_erasure_forgets_the_users_cached_verdicts(alice: str) -> None:
    cache = VerdictCache()
    rights = wiring.data_rights()
    erasing = type(rights)(**{**rights.__dict__, "verdicts": cache})
    cache.put("Bearer alice-token", Principal(user_id=alice), token_expiry=float("inf"))
    cache.put("Bearer admin-token", Principal(user_id=ADMIN), token_expiry=float("inf"))

    erasing.delete_account(alice, EMAIL)

    assert cache.get("Bearer alice-token") is None
    assert cache.get("Bearer admin-token") == Principal(user_id=ADMIN)


def test_the_cloud_flushes_its_stages_authorizer_cache(alice: str) -> None:
    verdicts = ApiGatewayVerdicts("a1b2c3d4e5", "prod")
    apigw = client("apigateway")
    with Stubber(apigw) as stub:
        stub.add_response(
            "flush_stage_authorizers_cache", {}, {"restApiId": "a1b2c3d4e5", "stageName": "prod"}
        )
        verdicts.forget(alice)
        stub.assert_no_pending_responses()
    with Stubber(apigw) as stub:  # a failed flush is logged: every write checks the profile itself
        stub.add_client_error("flush_stage_authorizers_cache", "TooManyRequestsException")
        verdicts.forget(alice)


def test_no_store_write_lands_for_an_inactive_account(alice: str) -> None:
    """Below the routes' own check: each kind of write, for an account disabled, then gone."""
    from nija.adapters.dynamo.connections import DynamoConnections
    from nija.domain.notifications import Device

    order = Order.from_intent(
        orders.build_intent(Principal(user_id=alice), OrderRequest.model_validate(BUY), "x")
    )
    writes = {
        "order": lambda: wiring.orders().create_order(order),
        "claim": lambda: wiring.orders().claim_for_submission(order),
        "request_key": lambda: wiring.orders().claim_request_key(alice, "k", order.order_id),
        "settings": lambda: wiring.settings_store().put(alice, wiring.settings_store().get(alice)),
        "device": lambda: wiring.devices().add(
            alice, Device(token="ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", platform="ios")
        ),
        "connection": lambda: DynamoConnections().add("conn=", alice),
    }
    wiring.users().update_user(alice, status=UserStatus.DISABLED)
    for name in ("order", "request_key", "settings", "device", "connection"):
        with pytest.raises(AccountInactive):
            writes[name]()
    wiring.users().update_user(alice, status=UserStatus.ACTIVE, trading_disabled_reason=ACCOUNT_DELETION)
    for name in ("order", "claim", "request_key", "settings", "device", "connection"):
        with pytest.raises(AccountInactive):
            writes[name]()
    assert [i["sk"]["S"] for i in _partition(keys.user_pk(alice))] == [keys.PROFILE]
    assert _partition(keys.paper_pk(alice)) == [] and _partition("CONN#conn=") == []


def test_a_write_for_an_inactive_account_raises_and_stores_nothing(alice: str) -> None:
    wiring.users().update_user(alice, status=UserStatus.DISABLED)
    with pytest.raises(AccountInactive):
        wiring.settings_store().put(alice, wiring.settings_store().get(alice))
    assert [i["sk"]["S"] for i in _partition(keys.user_pk(alice))] == [keys.PROFILE]
