"""The process's composition root: one Container (nija.container) built from the settings on first
use and dropped with them (reset_settings), so that a test or the local stack starting over gets every
part anew. The functions below are the container's parts by name, for the handlers and routes (as
FastAPI dependencies: override them with app.dependency_overrides) and the tests."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from nija.config import get_settings, on_reset
from nija.container import Container
from nija.domain.models import BrokerName
from nija.ports.broker import Broker
from nija.ports.identity import Verdicts
from nija.ports.market_data import MarketData
from nija.ports.ratelimit import RequestLimiter
from nija.ports.realtime import Pusher

if TYPE_CHECKING:
    from nija.adapters.cognito import CognitoIdentity
    from nija.adapters.dynamo.audit import AuditRecords
    from nija.adapters.dynamo.credentials import DynamoCredentialIndex
    from nija.adapters.dynamo.ledger import DynamoLedger
    from nija.adapters.dynamo.orders import DynamoOrders
    from nija.adapters.dynamo.permissions import DynamoPermissions
    from nija.adapters.dynamo.reconcile import DynamoReconcileBook
    from nija.adapters.dynamo.risk import DynamoRiskStore
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.adapters.dynamo.users import DynamoLoginGuards, DynamoUsers
    from nija.adapters.paper.broker import PaperBroker
    from nija.adapters.sqs_queue import SqsOrderQueue
    from nija.adapters.vault import KmsSecretsVault
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

_container: Container | None = None
_local_pusher: Pusher | None = None


def container() -> Container:
    global _container
    if _container is None:
        settings = get_settings()
        verdicts: Verdicts | None = None
        if settings.auth_mode == "verify":  # this process checks tokens itself (the local stack)
            from nija.api.verdicts import LOCAL_VERDICTS

            verdicts = LOCAL_VERDICTS
        _container = Container(settings, pusher=_local_pusher, verdicts=verdicts)
    return _container


def use_local_pusher(pusher: Pusher) -> None:
    """The local stack hands in the sockets it holds open (NIJA_REALTIME_PUSH=local)."""
    global _local_pusher, _container
    _local_pusher, _container = pusher, None


@on_reset
def reset() -> None:
    global _container
    _container = None


def orders() -> DynamoOrders:
    return container().orders


def ledger() -> DynamoLedger:
    return container().ledger


def users() -> DynamoUsers:
    return container().users


def login_guards() -> DynamoLoginGuards:
    return container().login_guards


def audit_records() -> AuditRecords:
    return container().audit_records


def order_queue() -> SqsOrderQueue:
    return container().order_queue


def credential_index() -> DynamoCredentialIndex:
    return container().credential_index


def reconcile_book() -> DynamoReconcileBook:
    return container().reconcile_book


def risk_store() -> DynamoRiskStore:
    return container().risk_store


def settings_store() -> DynamoStrategySettings:
    return container().settings_store


def permissions_store() -> DynamoPermissions:
    return container().permissions_store


def permissions() -> PermissionsService:
    return container().permissions


def devices() -> Devices:
    return container().devices


def timeseries() -> TimeSeries:
    return container().timeseries


def audit_anchoring() -> AuditAnchoring | None:
    return container().audit_anchoring


def verdicts() -> Verdicts:
    return container().verdicts


def request_limiter() -> RequestLimiter:
    return container().request_limiter


def directory() -> CognitoIdentity:
    return container().directory


def accounts() -> Accounts:
    return container().accounts


def recovery() -> Recovery:
    return container().recovery


def vault() -> KmsSecretsVault:
    return container().vault


def vault_service() -> VaultService:
    return container().vault_service


def vault_reader() -> CachedVaultReader:
    return container().vault_reader


def controls() -> Controls:
    return container().controls


def telemetry() -> Telemetry:
    return container().telemetry


def guard() -> PreTradeGuard:
    return container().guard


def order_desk() -> OrderDesk:
    return container().order_desk


def position_book() -> PositionBook:
    return container().position_book


def own_switch() -> OwnSwitch:
    return container().own_switch


def settings_service() -> SettingsService:
    return container().settings_service


def scanner() -> Scanner:
    return container().scanner


def analytics() -> Analytics:
    return container().analytics


def pusher() -> Pusher:
    return container().pusher


def realtime() -> Realtime:
    return container().realtime


def push_sender() -> PushSender:
    return container().push_sender


def notifier() -> Notifier:
    return container().notifier


def data_rights() -> DataRights:
    return container().data_rights


def check_keys() -> ConnectCheck:
    return container().check_keys


def mailer() -> Mailer | None:
    return container().mailer


def migrator() -> Migrator:
    return container().migrator


def broker(name: BrokerName) -> Broker:
    return container().broker(name)


def market_data(name: BrokerName) -> MarketData:
    return container().market_data(name)


def executor(name: BrokerName) -> Executor:
    return container().executor(name)


def broker_sync(name: BrokerName) -> BrokerSync:
    return container().broker_sync(name)


def paper_broker() -> PaperBroker:
    return container().paper_broker()


def mark_price(name: BrokerName, symbol: str) -> Decimal | None:
    return container().mark_price(name, symbol)


def fee_rate(name: BrokerName) -> Decimal:
    return container().fee_rate(name)


def connected(user_id: str, broker: BrokerName) -> bool:
    return container().connected(user_id, broker)


def scan_fanout() -> Callable[..., int]:
    return container().scan_fanout()
