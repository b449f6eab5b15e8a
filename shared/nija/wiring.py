"""The composition root: which adapter serves which port, built once per process on first use."""

from __future__ import annotations

import os
from functools import cache
from typing import TYPE_CHECKING

from nija.adapters.dynamo.credentials import DynamoCredentialIndex
from nija.adapters.dynamo.stores import DynamoStore
from nija.adapters.sqs_queue import SqsOrderQueue
from nija.config import get_settings, on_reset
from nija.domain.credentials import BrokerCredentials, Permission
from nija.domain.errors import BrokerAuthFailed, ServiceUnavailable
from nija.domain.models import BrokerName
from nija.ports.broker import Broker, BrokerAccount

if TYPE_CHECKING:  # built on first use: a function imports only the use cases it serves
    from nija.adapters.vault import KmsSecretsVault
    from nija.logic.accounts import Accounts
    from nija.logic.vault import CachedVaultReader, VaultService


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

    def credentials(user_id: str) -> BrokerCredentials:  # the vault is opened on first use, not here
        return vault_reader().read(user_id, name)

    if name is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_broker import AlpacaBroker

        return AlpacaBroker(credentials)
    from nija.adapters.brokers.ccxt_broker import CcxtBroker

    return CcxtBroker(name, credentials)


@cache
def accounts() -> Accounts:
    from nija.adapters.apigateway_keys import ApiGatewayKeys
    from nija.adapters.cognito import CognitoIdentity
    from nija.logic.accounts import Accounts

    settings = get_settings()
    return Accounts(
        idp=CognitoIdentity(),
        keys=ApiGatewayKeys(settings.usage_plan_ids),
        users=store(),
        guards=store(),
        audit=store(),
        auto_confirm=settings.auto_confirm_signup,
    )


def function_name() -> str:
    return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")


@cache
def credential_index() -> DynamoCredentialIndex:
    return DynamoCredentialIndex()


@cache
def vault() -> KmsSecretsVault:
    settings = get_settings()
    if not settings.vault_key_id:
        raise ServiceUnavailable("the vault is not configured (NIJA_VAULT_KEY_ID)")
    from nija.adapters.vault import KmsSecretsVault  # cryptography loads only where secrets are sealed

    return KmsSecretsVault(settings.catalogue, settings.vault_key_id)


def check_keys(credentials: BrokerCredentials, *, user_id: str) -> Permission:
    from nija.adapters.brokers.key_check import check_credentials  # the broker clients load only here

    return check_credentials(credentials, user_id=user_id).permission


@cache
def vault_service() -> VaultService:
    from nija.logic.vault import VaultService

    return VaultService(vault(), credential_index(), check_keys, store(), function_name())


@cache
def vault_reader() -> CachedVaultReader:
    from nija.logic.vault import CachedVaultReader

    return CachedVaultReader(vault(), store(), function_name(), ttl_s=get_settings().vault_cache_ttl_s)


def connected(user_id: str, broker: BrokerName) -> bool:
    """Whether the user has keys for this broker now (a consistent read: a disconnect stops orders at once)."""
    return credential_index().get_metadata(user_id, broker) is not None


@on_reset
def reset() -> None:
    for factory in (
        store,
        order_queue,
        broker,
        accounts,
        credential_index,
        vault,
        vault_service,
        vault_reader,
    ):
        factory.cache_clear()
