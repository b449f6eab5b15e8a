"""The composition root: which adapter serves which port, and the use cases built on them.

A Container is built from the settings; each part is made on first use (a function imports only what
it serves: the cold start stays lazy) and kept for the container's life. The process holds one
(nija.wiring.container()); new settings drop it, and with it every part: one mechanism. Policy is not
decided here (logic/ holds it); this only connects.

It is the one list of every part the functions use (about fifty), hence longer than the ~400 lines
other modules keep to: a second container would make two lists to keep in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, cast

from nija.config import Settings
from nija.domain.credentials import BrokerCredentials, Permission
from nija.domain.errors import ServiceUnavailable
from nija.domain.models import BrokerName
from nija.logic import prices
from nija.ports.broker import Balance, Broker
from nija.ports.identity import Verdicts
from nija.ports.market_data import MarketData
from nija.ports.realtime import Pusher

if TYPE_CHECKING:
    from nija.adapters.cognito import CognitoIdentity
    from nija.adapters.dynamo.audit import AuditRecords
    from nija.adapters.dynamo.credentials import DynamoCredentialIndex
    from nija.adapters.dynamo.ledger import DynamoLedger
    from nija.adapters.dynamo.orders import DynamoOrders
    from nija.adapters.dynamo.permissions import DynamoPermissions
    from nija.adapters.dynamo.reconcile import DynamoReconcileBook
    from nija.adapters.dynamo.request_limits import DynamoRequestLimiter
    from nija.adapters.dynamo.risk import DynamoRiskStore
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.adapters.dynamo.users import DynamoLoginGuards, DynamoUsers
    from nija.adapters.paper.broker import PaperBroker
    from nija.adapters.sqs_queue import SqsOrderQueue
    from nija.adapters.vault import KmsSecretsVault
    from nija.domain.notifications import NotificationPrefs
    from nija.logic.accounts import Accounts
    from nija.logic.analytics import Analytics
    from nija.logic.audit_anchor import AuditAnchoring
    from nija.logic.broker_keys import ConnectCheck
    from nija.logic.broker_sync import BrokerSync
    from nija.logic.controls import Controls, OwnSwitch
    from nija.logic.data_rights import DataRights
    from nija.logic.execution import Executor
    from nija.logic.migrate.migrator import Migrator
    from nija.logic.notify import Notifier
    from nija.logic.orders import OrderDesk
    from nija.logic.permissions import PermissionsService
    from nija.logic.positions import PositionBook
    from nija.logic.pretrade import PreTradeGuard
    from nija.logic.realtime import Realtime
    from nija.logic.recovery import Recovery
    from nija.logic.scan import Scanner
    from nija.logic.settings import SettingsService
    from nija.logic.vault import CachedVaultReader, VaultService
    from nija.ports.mail import Mailer
    from nija.ports.push import Devices, PushSender
    from nija.ports.telemetry import Telemetry
    from nija.ports.timeseries import TimeSeries


class Container:
    def __init__(
        self, settings: Settings, *, pusher: Pusher | None = None, verdicts: Verdicts | None = None
    ) -> None:
        self.settings = settings
        # What only the local stack has, handed in by it: its open sockets, its token check's cache.
        self._local_pusher = pusher
        self._local_verdicts = verdicts
        self._brokers: dict[BrokerName, Broker] = {}
        self._markets: dict[BrokerName, MarketData] = {}
        self._executors: dict[BrokerName, Executor] = {}

    # --- storage -----------------------------------------------------------------------------

    @cached_property
    def orders(self) -> DynamoOrders:
        from nija.adapters.dynamo.orders import DynamoOrders

        return DynamoOrders()

    @cached_property
    def ledger(self) -> DynamoLedger:
        """Fills, positions and trades."""
        from nija.adapters.dynamo.ledger import DynamoLedger

        return DynamoLedger()

    @cached_property
    def users(self) -> DynamoUsers:
        from nija.adapters.dynamo.users import DynamoUsers

        return DynamoUsers()

    @cached_property
    def login_guards(self) -> DynamoLoginGuards:
        from nija.adapters.dynamo.users import DynamoLoginGuards

        return DynamoLoginGuards()

    @cached_property
    def audit_records(self) -> AuditRecords:
        """The audit table's chains (function audit_writer appends the outbox's events)."""
        from nija.adapters.dynamo.audit import AuditRecords

        return AuditRecords()

    @cached_property
    def order_queue(self) -> SqsOrderQueue:
        from nija.adapters.sqs_queue import SqsOrderQueue

        return SqsOrderQueue(self.settings.catalogue)

    @cached_property
    def credential_index(self) -> DynamoCredentialIndex:
        from nija.adapters.dynamo.credentials import DynamoCredentialIndex

        return DynamoCredentialIndex()

    @cached_property
    def risk_store(self) -> DynamoRiskStore:
        from nija.adapters.dynamo.risk import DynamoRiskStore

        return DynamoRiskStore()

    @cached_property
    def permissions_store(self) -> DynamoPermissions:
        """What an admin allows each user (the executor and the scan read it in their own batches)."""
        from nija.adapters.dynamo.permissions import DynamoPermissions

        return DynamoPermissions()

    @cached_property
    def settings_store(self) -> DynamoStrategySettings:
        """Strategy settings, and the index of enabled users the strategy scan reads."""
        from nija.adapters.dynamo.settings import DynamoStrategySettings

        return DynamoStrategySettings()

    @cached_property
    def devices(self) -> Devices:
        from nija.adapters.dynamo.devices import DynamoDevices

        return DynamoDevices()

    @cached_property
    def timeseries(self) -> TimeSeries:
        """Equity, fill and latency points: Timestream when NIJA_TIMESTREAM_ENABLED, else dropped."""
        from nija.adapters.timestream import NoTimeSeries, TimestreamSeries

        if not self.settings.timestream_enabled:
            return NoTimeSeries()
        cat = self.settings.catalogue
        return TimestreamSeries(cat.timestream_database, cat.timestream_table)

    @cached_property
    def audit_anchoring(self) -> AuditAnchoring | None:
        """Anchoring of the chains' heads in write-once storage; None when no bucket is configured."""
        if not self.settings.audit_anchor_bucket:
            return None
        from nija.adapters.s3_anchors import S3Anchors
        from nija.logic.audit_anchor import AuditAnchoring

        return AuditAnchoring(self.audit_records, S3Anchors(self.settings.audit_anchor_bucket))

    # --- brokers and markets -----------------------------------------------------------------

    def broker(self, name: BrokerName) -> Broker:
        if name not in self._brokers:
            self._brokers[name] = self._make_broker(name)
        return self._brokers[name]

    def _make_broker(self, name: BrokerName) -> Broker:
        from nija.adapters.brokers.factory import broker_for

        # Each user's keys come from the vault when their account is first used, not here.
        return broker_for(name, self.settings, lambda user_id: self.vault_reader.read(user_id, name))

    def paper_broker(self) -> PaperBroker:
        # The paper broker (or what a test put in its place), with its paper-only seed_balances.
        return cast("PaperBroker", self.broker(BrokerName.PAPER))

    def market_data(self, name: BrokerName) -> MarketData:
        if name not in self._markets:
            from nija.adapters.market_cache import market_data_for

            self._markets[name] = market_data_for(name, self.settings)
        return self._markets[name]

    def mark_price(self, name: BrokerName, symbol: str) -> Decimal | None:
        return prices.trading_price(self.broker(name), symbol)

    def display_price(self, name: BrokerName, symbol: str) -> Decimal | None:
        return prices.display_price(self.broker(name), symbol)

    def fee_rate(self, name: BrokerName) -> Decimal:
        return prices.assumed_fee_rate(name, self.settings.paper_fee_rate)

    def live_balances(self, name: BrokerName, user_id: str) -> dict[str, Balance] | None:
        """Balances the dashboard reads live: the paper broker's (its own table). Elsewhere None: the
        dashboard shows the executor's last valuation instead of calling the exchange per request."""
        if name is not BrokerName.PAPER:
            return None
        return self.broker(BrokerName.PAPER).account(user_id).balances()

    # --- identity, vault and the platform's controls -------------------------------------------

    @cached_property
    def verdicts(self) -> Verdicts:
        """The authorizer verdicts to forget when an account's standing changes: the local stack's
        token check's cache, else API Gateway's stage cache."""
        if self._local_verdicts is not None:
            return self._local_verdicts
        from nija.adapters.apigateway_verdicts import ApiGatewayVerdicts

        return ApiGatewayVerdicts(self.settings.rest_api_id, self.settings.stage)

    @cached_property
    def request_limiter(self) -> DynamoRequestLimiter:
        """Every API app's per-user limits, in the state table (the same in Lambda and locally)."""
        from nija.adapters.dynamo.request_limits import DynamoRequestLimiter

        return DynamoRequestLimiter(self.settings.catalogue.request_limits)

    @cached_property
    def directory(self) -> CognitoIdentity:
        """The user pool: sign-up and sign-in, TOTP, the administrators' reads and writes."""
        from nija.adapters.cognito import CognitoIdentity

        return CognitoIdentity()

    @cached_property
    def accounts(self) -> Accounts:
        from nija.logic.accounts import Accounts

        return Accounts(
            idp=self.directory,
            users=self.users,
            guards=self.login_guards,
            audit=self.audit_records,
            auto_confirm=self.settings.auto_confirm_signup,
            verdicts=self.verdicts,
        )

    @cached_property
    def recovery(self) -> Recovery:
        from nija.adapters.cognito_sessions import CognitoSessions
        from nija.logic.recovery import Recovery

        return Recovery(
            idp=CognitoSessions(), users=self.users, guards=self.login_guards, audit=self.audit_records
        )

    @property
    def function_name(self) -> str:
        return os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")

    @cached_property
    def vault(self) -> KmsSecretsVault:
        if not self.settings.vault_key_id:
            raise ServiceUnavailable("the vault is not configured (NIJA_VAULT_KEY_ID)")
        from nija.adapters.vault import KmsSecretsVault  # cryptography loads only where secrets are sealed

        return KmsSecretsVault(self.settings.catalogue, self.settings.vault_key_id)

    @cached_property
    def check_keys(self) -> ConnectCheck:
        from nija.logic.broker_keys import ConnectCheck

        def ask_broker(credentials: BrokerCredentials, user_id: str) -> Permission:
            from nija.adapters.brokers.key_check import check_credentials  # broker clients load here

            return check_credentials(credentials, user_id=user_id).permission

        return ConnectCheck(self.paper_broker, self.settings.paper_starting_cash, ask_broker)

    @cached_property
    def vault_service(self) -> VaultService:
        from nija.logic.vault import VaultService

        return VaultService(
            self.vault,
            self.credential_index,
            self.check_keys,
            self.audit_records,
            self.reconcile_book,
            self.function_name,
        )

    @cached_property
    def vault_reader(self) -> CachedVaultReader:
        from nija.logic.vault import CachedVaultReader

        ttl = self.settings.vault_cache_ttl_s
        return CachedVaultReader(self.vault, self.audit_records, self.function_name, ttl_s=ttl)

    def connected(self, user_id: str, broker: BrokerName) -> bool:
        """Whether the user has keys for this broker now (a consistent read: a disconnect stops orders)."""
        return self.credential_index.get_metadata(user_id, broker) is not None

    @cached_property
    def controls(self) -> Controls:
        from nija.adapters.dynamo.controls import DynamoControls
        from nija.logic.controls import Controls

        return Controls(DynamoControls())

    @cached_property
    def telemetry(self) -> Telemetry:
        """Business metrics and log lines from the use cases: the function's Powertools."""
        from nija.observability import PowertoolsTelemetry

        return PowertoolsTelemetry()

    # --- use cases -----------------------------------------------------------------------------

    @cached_property
    def guard(self) -> PreTradeGuard:
        from nija.adapters.dynamo.pretrade import DynamoPreTradeReader
        from nija.logic.pretrade import PreTradeGuard

        reader = DynamoPreTradeReader()
        return PreTradeGuard(self.users, self.ledger, self.risk_store, self.mark_price, self.fee_rate, reader)

    @cached_property
    def order_desk(self) -> OrderDesk:
        """POST, GET and DELETE /v1/orders."""
        from nija.logic.orders import OrderDesk

        return OrderDesk(
            self.orders,
            self.order_queue,
            self.connected,
            self.controls.mode_for,
            self.telemetry,
            self.permissions.of,
        )

    def executor(self, name: BrokerName) -> Executor:
        """One broker's order messages (function executor, one deployment per broker)."""
        if name not in self._executors:
            from nija.logic.execution import Executor

            self._executors[name] = Executor(
                orders=self.orders,
                ledger=self.ledger,
                broker=self.broker(name),
                guard=self.guard,
                breakers=self.controls,
                audit=self.audit_records,
                telemetry=self.telemetry,
            )
        return self._executors[name]

    def broker_sync(self, name: BrokerName) -> BrokerSync:
        """The executor's schedule for one broker: open orders, then balances against positions."""
        from nija.logic.broker_sync import BrokerSync
        from nija.logic.reconcile import Reconciler

        reconciler = Reconciler(
            self.broker(name),
            self.ledger,
            self.audit_records,
            self.reconcile_book,
            self.risk_store,
            self.mark_price,
        )
        return BrokerSync(self.executor(name), self.orders, reconciler, self.reconcile_book)

    @cached_property
    def reconcile_book(self) -> DynamoReconcileBook:
        from nija.adapters.dynamo.reconcile import DynamoReconcileBook

        return DynamoReconcileBook()

    @cached_property
    def position_book(self) -> PositionBook:
        """GET /v1/positions and /v1/trades: the mark price from each position's broker."""
        from nija.logic.positions import PositionBook

        def mark(name: BrokerName, symbol: str) -> Decimal | None:
            return self.broker(name).mark_price(symbol)

        return PositionBook(self.ledger, mark)

    @cached_property
    def own_switch(self) -> OwnSwitch:
        from nija.logic.controls import OwnSwitch

        return OwnSwitch(self.controls, self.users)

    @cached_property
    def permissions(self) -> PermissionsService:
        """GET and PUT /admin/users/{id}/permissions, and the user's own view on GET /v1/me."""
        from nija.logic.permissions import PermissionsService

        return PermissionsService(self.users, self.permissions_store)

    @cached_property
    def settings_service(self) -> SettingsService:
        from nija.logic.settings import SettingsService

        return SettingsService(self.settings_store, self.risk_store, self.connected, self.audit_records)

    @cached_property
    def scanner(self) -> Scanner:
        """The strategy scan over the state table, the order queues and each broker's market data."""
        from nija.adapters.dynamo.scan import DynamoPlatformModes, DynamoUserStates
        from nija.logic.scan import Scanner
        from nija.logic.sizing import EquitySizer

        return Scanner(
            users=self.settings_store,
            states=DynamoUserStates(),
            platform=DynamoPlatformModes(),
            market=self.market_data,
            sizer=EquitySizer(self.risk_store),
            orders=self.orders,
            queue=self.order_queue,
            telemetry=self.telemetry,
        )

    def scan_fanout(self) -> Callable[..., int]:
        from nija.adapters.scan_fanout import inline_shards, invoke_shards

        return inline_shards if self.settings.scan_fanout == "inline" else invoke_shards

    @cached_property
    def analytics(self) -> Analytics:
        from nija.adapters.dynamo.analytics import DynamoAnalyticsStore
        from nija.logic.analytics import Analytics

        return Analytics(
            positions=self.ledger.list_positions,
            store=DynamoAnalyticsStore(),
            risk_settings=self.risk_store.settings,
            balances=self.live_balances,
            mark_price=self.display_price,
        )

    @cached_property
    def pusher(self) -> Pusher:
        """How a WebSocket message reaches a connection: API Gateway's Management API, or the
        sockets the local stack holds open (handed in by it)."""
        if self.settings.realtime_push == "local":
            if self._local_pusher is None:
                raise ServiceUnavailable("local real-time push needs the local stack's sockets")
            return self._local_pusher
        if not self.settings.websocket_endpoint:
            raise ServiceUnavailable("real-time push is not configured (NIJA_WEBSOCKET_ENDPOINT)")
        from nija.adapters.apigw_push import ApiGatewayPusher

        return ApiGatewayPusher(self.settings.websocket_endpoint)

    @cached_property
    def realtime(self) -> Realtime:
        """WebSocket connections per user and the push of user events (realtime, stream_processor)."""
        from nija.adapters.dynamo.connections import DynamoConnections
        from nija.adapters.jwt_verifier import verify_token
        from nija.logic.realtime import Realtime

        return Realtime(DynamoConnections(), lambda: self.pusher, self.users, verify_token)

    @cached_property
    def push_sender(self) -> PushSender:
        """Expo's push API; in the local stack a recorder (NIJA_PUSH_MODE=record: nothing leaves)."""
        from pathlib import Path

        from nija.adapters.push import ExpoPush, RecordedPush

        if self.settings.push_mode == "record":
            return RecordedPush(Path(self.settings.push_outbox))
        return ExpoPush(access_token=self.settings.expo_access_token)

    @cached_property
    def notifier(self) -> Notifier:
        from nija.logic.notify import Notifier
        from nija.logic.risk import trading_day

        def day(user_id: str) -> date:
            return trading_day(self.risk_store.settings(user_id).time_zone)

        def notifications(user_id: str) -> NotificationPrefs:
            return self.settings_store.get(user_id).notifications

        return Notifier(self.devices, notifications, self.push_sender, day)

    @cached_property
    def data_rights(self) -> DataRights:
        """GET /v1/me/export and DELETE /v1/me: the user's records, audit trail, vault secrets (delete
        only: no key, no read) and directory user."""
        from nija.adapters.dynamo.user_data import DynamoUserRecords
        from nija.adapters.secret_eraser import SecretEraser
        from nija.logic.data_rights import DataRights

        return DataRights(
            users=self.users,
            records=DynamoUserRecords(),
            audit=self.audit_records,
            secrets=SecretEraser(self.settings.catalogue),
            idp=self.directory,
            verdicts=self.verdicts,
        )

    @cached_property
    def mailer(self) -> Mailer | None:
        """Where the platform's own email goes: None on AWS (Cognito sends its messages itself), the
        local stack's outbox file (NIJA_EMAIL_MODE=record: nothing leaves the machine)."""
        from pathlib import Path

        from nija.adapters.mail import RecordedMail

        settings = self.settings
        return RecordedMail(Path(settings.email_outbox)) if settings.email_mode == "record" else None

    @cached_property
    def migrator(self) -> Migrator:
        """`nija migrate`: the directory, profiles, vault, settings and audit chains of this stage,
        through the same use cases as sign-up and the API (nija.logic.migrate.migrator)."""
        from nija.logic.migrate.migrator import Migrator

        return Migrator(
            directory=self.directory,
            accounts=self.accounts,
            vault=self.vault_service,
            settings=self.settings_service,
            ledger=self.audit_records,
            mailer=self.mailer,
        )
