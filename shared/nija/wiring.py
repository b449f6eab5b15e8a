"""The composition root: which adapter serves which port, built once per process on first use."""

from __future__ import annotations

from functools import cache

from nija.adapters.dynamo.stores import DynamoStore
from nija.adapters.sqs_queue import SqsOrderQueue
from nija.config import get_settings, on_reset
from nija.domain.errors import BrokerAuthFailed
from nija.domain.models import BrokerName
from nija.logic.accounts import Accounts
from nija.ports.broker import Broker, BrokerAccount


@cache
def store() -> DynamoStore:
    return DynamoStore()


@cache
def order_queue() -> SqsOrderQueue:
    return SqsOrderQueue(get_settings().catalogue)


class NotConnected:
    """A broker with no adapter wired yet: every order is refused with auth_failed, never lost."""

    def __init__(self, name: BrokerName) -> None:
        self.name = name

    def account(self, user_id: str) -> BrokerAccount:
        raise BrokerAuthFailed(f"no {self.name.value} account is connected for this user")

    def mark_price(self, symbol: str) -> None:
        return None


@cache
def broker(name: BrokerName) -> Broker:
    if name is BrokerName.PAPER:
        from nija.adapters.paper.broker import PaperBroker

        return PaperBroker.from_settings()
    return NotConnected(name)


@cache
def accounts() -> Accounts:
    from nija.adapters.apigateway_keys import ApiGatewayKeys
    from nija.adapters.cognito import CognitoIdentity

    settings = get_settings()
    return Accounts(
        idp=CognitoIdentity(),
        keys=ApiGatewayKeys(settings.usage_plan_ids),
        users=store(),
        guards=store(),
        audit=store(),
        auto_confirm=settings.auto_confirm_signup,
    )


@on_reset
def reset() -> None:
    for factory in (store, order_queue, broker, accounts):
        factory.cache_clear()
