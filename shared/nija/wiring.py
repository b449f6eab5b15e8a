"""The composition root: which adapter serves which port, built once per process on first use."""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from nija.adapters.dynamo.credentials import DynamoCredentialIndex
from nija.adapters.dynamo.stores import DynamoStore
from nija.adapters.sqs_queue import SqsOrderQueue
from nija.config import get_settings, on_reset
from nija.domain.credentials import BrokerCredentials, Permission
from nija.domain.errors import BrokerError, NijaError, ServiceUnavailable
from nija.domain.models import BrokerName
from nija.ports.broker import Balance, Broker
from nija.ports.identity import Verdicts
from nija.ports.market_data import MarketData
from nija.ports.realtime import Pusher

if TYPE_CHECKING:  # built on first use: a function imports only the use cases it serves
    from nija.adapters.dynamo.audit import AuditRecords
    from nija.adapters.dynamo.devices import DynamoDevices
    from nija.adapters.dynamo.risk import DynamoRiskStore
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.adapters.vault import KmsSecretsVault
    from nija.logic.accounts import Accounts
    from nija.logic.analytics import Analytics
    from nija.logic.audit_anchor import AuditAnchoring
    from nija.logic.controls import Controls
    from nija.logic.data_rights import DataRights
    from nija.logic.migrate.migrator import Migrator
    from nija.logic.notify import Notifier
    from nija.logic.pretrade import PreTradeGuard
    from nija.logic.realtime import Realtime
    from nija.logic.scan import Scanner
    from nija.logic.settings import SettingsService
    from nija.logic.vault import CachedVaultReader, VaultService
    from nija.ports.mail import Mailer
    from nija.ports.push import PushSender
    from nija.ports.timeseries import TimeSeries


@cache
def store() -> DynamoStore:
    return DynamoStore()


@cache
def audit_records() -> AuditRecords:
    """The audit table's chains (function audit_writer appends the outbox's events)."""
    from nija.adapters.dynamo.audit import AuditRecords

    return AuditRecords()


@cache
def audit_anchoring() -> AuditAnchoring | None:
    """Anchoring of the audit chains' heads in write-once storage; None when no bucket is configured."""
    settings = get_settings()
    if not settings.audit_anchor_bucket:
        return None
    from nija.adapters.s3_anchors import S3Anchors
    from nija.logic.audit_anchor import AuditAnchoring

    return AuditAnchoring(store(), S3Anchors(settings.audit_anchor_bucket))


@cache
def order_queue() -> SqsOrderQueue:
    return SqsOrderQueue(get_settings().catalogue)


@cache
def broker(name: BrokerName) -> Broker:
    if name is BrokerName.PAPER:
        from nija.adapters.paper.broker import PaperBroker

        return PaperBroker.from_settings()

    def credentials(user_id: str) -> BrokerCredentials:  # the vault is opened on first use, not here
        return vault_reader().read(user_id, name)

    from nija.adapters.brokers.throttle import throttle_for
    from nija.adapters.dynamo.throttle import DynamoTokenBuckets

    # The exchange's rate limits, shared with every other instance through the state table.
    throttle = throttle_for(name, DynamoTokenBuckets(), max_wait_s=get_settings().broker_throttle_wait_s)
    if name is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_broker import AlpacaBroker

        return AlpacaBroker(credentials, throttle=throttle)
    from nija.adapters.brokers.ccxt_broker import CcxtBroker

    return CcxtBroker(name, credentials, throttle=throttle)


def verdicts() -> Verdicts:
    """The authorizer verdicts to forget when an account's standing changes: the local stack's
    middleware cache where this process verifies tokens itself, else API Gateway's stage cache."""
    settings = get_settings()
    if settings.auth_mode == "verify":
        from nija.api.verdicts import LOCAL_VERDICTS

        return LOCAL_VERDICTS
    from nija.adapters.apigateway_verdicts import ApiGatewayVerdicts

    return ApiGatewayVerdicts(settings.rest_api_id, settings.stage)


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
        verdicts=verdicts(),
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

    if credentials.broker is BrokerName.PAPER:
        # Connecting the paper broker opens a paper account: it starts with the configured cash
        # (seeding is idempotent: a returning user keeps what they have).
        paper = broker(BrokerName.PAPER)
        paper.seed_balances(user_id, {"USD": get_settings().paper_starting_cash})  # type: ignore[attr-defined]

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


@cache
def controls() -> Controls:
    from nija.adapters.dynamo.controls import DynamoControls
    from nija.logic.controls import Controls

    return Controls(DynamoControls())


@cache
def risk_store() -> DynamoRiskStore:
    from nija.adapters.dynamo.risk import DynamoRiskStore

    return DynamoRiskStore()


def mark_price(broker_name: BrokerName, symbol: str) -> Decimal | None:
    """The broker's current price, None when it has none. A temporary failure (rate limit, timeout)
    propagates: the order waits and tries again rather than being refused for want of a price."""
    try:
        return broker(broker_name).mark_price(symbol)
    except BrokerError as exc:
        if exc.retryable:
            raise
        return None
    except NijaError:
        return None


def fee_rate(broker_name: BrokerName) -> Decimal:
    """Taker fee assumed by the capital check: the paper broker's setting; 0.6% (the highest base
    taker fee of the supported exchanges) elsewhere, so the check errs on the safe side."""
    return get_settings().paper_fee_rate if broker_name is BrokerName.PAPER else Decimal("0.006")


@cache
def guard() -> PreTradeGuard:
    from nija.adapters.dynamo.pretrade import DynamoPreTradeReader
    from nija.logic.pretrade import PreTradeGuard

    return PreTradeGuard(store(), store(), risk_store(), mark_price, fee_rate, DynamoPreTradeReader())


@on_reset
def reset() -> None:
    for factory in (
        store,
        audit_records,
        audit_anchoring,
        controls,
        order_queue,
        broker,
        accounts,
        credential_index,
        vault,
        vault_service,
        vault_reader,
    ):
        factory.cache_clear()


def scanner() -> Scanner:
    """The strategy scan over the state table, the order queues and each broker's market data."""
    from nija.adapters.dynamo.scan import DynamoPlatformModes, DynamoUserStates
    from nija.logic.scan import Scanner
    from nija.logic.sizing import EquitySizer

    return Scanner(
        users=settings_store(),
        states=DynamoUserStates(),
        platform=DynamoPlatformModes(),
        market=market_data,
        sizer=EquitySizer(risk_store(), broker),
        store=store(),
        queue=order_queue(),
    )


def scan_fanout() -> Callable[..., int]:
    from nija.adapters.scan_fanout import inline_shards, invoke_shards

    return inline_shards if get_settings().scan_fanout == "inline" else invoke_shards


@cache
def settings_store() -> DynamoStrategySettings:
    """Strategy settings, and the index of enabled users the strategy scan reads (nija.adapters.dynamo.settings)."""
    from nija.adapters.dynamo.settings import DynamoStrategySettings

    return DynamoStrategySettings()


@cache
def settings_service() -> SettingsService:
    from nija.logic.settings import SettingsService

    return SettingsService(settings_store(), risk_store(), connected, store())


@on_reset
def _reset_settings_factories() -> None:
    settings_store.cache_clear()
    settings_service.cache_clear()


@cache
def market_data(broker: BrokerName) -> MarketData:
    """The broker's candles and prices, candles cached per (broker, symbol, timeframe, candle):
    coinbase, kraken and binance through ccxt's public endpoints, alpaca through alpaca-py's data
    clients (keyless: crypto only), each request within the broker's shared budgets; all shared
    through the state table. The paper feed is pure and computes a window faster than a table read,
    so its candles are kept in this process only."""
    from nija.adapters.market_cache import CachedMarketData

    settings = get_settings()
    if broker is BrokerName.PAPER:
        from nija.adapters.paper.feed import PaperFeed

        return CachedMarketData(PaperFeed(settings.feed_seed), broker, shared=False)
    from nija.adapters.brokers.throttle import throttle_for
    from nija.adapters.dynamo.throttle import DynamoTokenBuckets

    throttle = throttle_for(broker, DynamoTokenBuckets(), max_wait_s=settings.broker_throttle_wait_s)
    inner: MarketData
    if broker is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_candles import AlpacaMarketData

        inner = AlpacaMarketData(throttle=throttle)
    else:
        from nija.adapters.brokers.ccxt_candles import CcxtMarketData

        inner = CcxtMarketData(broker, throttle=throttle)
    return CachedMarketData(inner, broker)


on_reset(market_data.cache_clear)


# --- analytics (issue 7, item 3) ---------------------------------------------------------------


def live_balances(broker_name: BrokerName, user_id: str) -> dict[str, Balance] | None:
    """Balances the dashboard reads live: the paper broker's (its own table). Elsewhere None: the
    dashboard shows the executor's last valuation instead of calling the exchange per request."""
    if broker_name is not BrokerName.PAPER:
        return None
    return broker(BrokerName.PAPER).account(user_id).balances()


def display_price(broker_name: BrokerName, symbol: str) -> Decimal | None:
    """A mark price for display: None rather than an error when the broker cannot give one now."""
    try:
        return broker(broker_name).mark_price(symbol)
    except NijaError:
        return None


@cache
def analytics() -> Analytics:
    from nija.adapters.dynamo.analytics import DynamoAnalyticsStore
    from nija.logic.analytics import Analytics

    return Analytics(
        positions=store().list_positions,
        store=DynamoAnalyticsStore(),
        risk_settings=risk_store().settings,
        balances=live_balances,
        mark_price=display_price,
    )


on_reset(analytics.cache_clear)


@cache
def pusher() -> Pusher:
    """How a WebSocket message reaches a connection: API Gateway's Management API, or in the local
    stack the sockets its uvicorn app holds open."""
    settings = get_settings()
    if settings.realtime_push == "local":
        from nija.local.websocket import SOCKETS

        return SOCKETS
    if not settings.websocket_endpoint:
        raise ServiceUnavailable("real-time push is not configured (NIJA_WEBSOCKET_ENDPOINT)")
    from nija.adapters.apigw_push import ApiGatewayPusher

    return ApiGatewayPusher(settings.websocket_endpoint)


def _verify_token(token: str) -> dict[str, Any]:
    from nija.api.verify import token_verifier  # the JWT libraries load only where tokens are checked

    return token_verifier().verify(token)


@cache
def realtime() -> Realtime:
    """WebSocket connections per user and the push of user events (functions realtime, stream_processor)."""
    from nija.adapters.dynamo.connections import DynamoConnections
    from nija.logic.realtime import Realtime

    return Realtime(DynamoConnections(), pusher, store(), _verify_token)


@on_reset
def _reset_realtime_factories() -> None:
    pusher.cache_clear()
    realtime.cache_clear()


def devices() -> DynamoDevices:
    from nija.adapters.dynamo.devices import DynamoDevices

    return DynamoDevices()


def push_sender() -> PushSender:
    """Expo's push API; in the local stack a recorder (NIJA_PUSH_MODE=record: nothing leaves)."""
    from pathlib import Path

    from nija.adapters.push import ExpoPush, RecordedPush

    settings = get_settings()
    if settings.push_mode == "record":
        return RecordedPush(Path(settings.push_outbox))
    return ExpoPush(access_token=settings.expo_access_token)


def mailer() -> Mailer | None:
    """Where the platform's own email goes: None on AWS (Cognito sends its messages itself), the
    local stack's outbox file (NIJA_EMAIL_MODE=record: nothing leaves the machine)."""
    from pathlib import Path

    from nija.adapters.mail import RecordedMail

    settings = get_settings()
    return RecordedMail(Path(settings.email_outbox)) if settings.email_mode == "record" else None


def notifier() -> Notifier:
    from datetime import date
    from zoneinfo import ZoneInfo

    from nija.domain.models import utcnow
    from nija.logic.notify import Notifier
    from nija.logic.risk import local_day_start

    def trading_day(user_id: str) -> date:
        zone = risk_store().settings(user_id).time_zone
        return local_day_start(utcnow(), zone).astimezone(ZoneInfo(zone)).date()

    return Notifier(
        devices(), lambda user_id: settings_store().get(user_id).notifications, push_sender(), trading_day
    )


# --- the user's data rights (issue 7, item 7) --------------------------------------------------


@cache
def data_rights() -> DataRights:
    """GET /v1/me/export and DELETE /v1/me: the user's records, audit trail, vault secrets (delete
    only: no key, no read), API key and directory user."""
    from nija.adapters.apigateway_keys import ApiGatewayKeys
    from nija.adapters.cognito import CognitoIdentity
    from nija.adapters.dynamo.user_data import DynamoUserRecords
    from nija.adapters.secret_eraser import SecretEraser
    from nija.logic.data_rights import DataRights

    settings = get_settings()
    return DataRights(
        users=store(),
        records=DynamoUserRecords(),
        audit=store(),
        secrets=SecretEraser(settings.catalogue),
        keys=ApiGatewayKeys(settings.usage_plan_ids),
        idp=CognitoIdentity(),
        verdicts=verdicts(),
    )


on_reset(data_rights.cache_clear)


@cache
def timeseries() -> TimeSeries:
    """Equity, fill and latency points: Timestream when NIJA_TIMESTREAM_ENABLED, else dropped."""
    from nija.adapters.timestream import NoTimeSeries, TimestreamSeries

    settings = get_settings()
    if not settings.timestream_enabled:
        return NoTimeSeries()
    return TimestreamSeries(settings.catalogue.timestream_database, settings.catalogue.timestream_table)


on_reset(timeseries.cache_clear)


# --- moving a legacy installation over (issue 17) ------------------------------------------------


def migrator() -> Migrator:
    """`nija migrate`: the directory, profiles, vault, settings and audit chains of this stage,
    through the same use cases as sign-up and the API (nija.logic.migrate.migrator)."""
    from nija.adapters.cognito import CognitoIdentity
    from nija.logic.migrate.migrator import Migrator

    return Migrator(
        directory=CognitoIdentity(),
        accounts=accounts(),
        vault=vault_service(),
        settings=settings_service(),
        ledger=audit_records(),
        mailer=mailer(),
    )
