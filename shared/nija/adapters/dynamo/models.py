"""pynamodb storage models for the single state table (keys: nija.adapters.dynamo.keys). Kept apart
from the domain models.

Table name, endpoint and region are bound on first use (nija.adapters.dynamo.binding), never at
import time.
"""

from __future__ import annotations

from decimal import Decimal

from pynamodb.attributes import (
    Attribute,
    BinaryAttribute,
    BooleanAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model


class _OpenOrders(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


# One index class per model: pynamodb binds an index's Meta to the model that declares it.
class _OrdersByTime(GlobalSecondaryIndex["OrderItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class _TradesByTime(GlobalSecondaryIndex["TradeItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class StateItem(Model):
    """Common key attributes of every item in the state table."""

    class Meta:
        table_name = "unbound"  # replaced by bind()

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class _UsersByTime(GlobalSecondaryIndex["UserItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class UserItem(StateItem):
    """The user's profile; in gsi2 by creation time (the admin console's user list)."""

    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_time = _UsersByTime()
    email = UnicodeAttribute()
    tier = UnicodeAttribute()
    status = UnicodeAttribute()
    role = UnicodeAttribute()
    mfa_enabled = BooleanAttribute(default=False)
    trading_disabled_reason = UnicodeAttribute(null=True)
    consecutive_broker_errors = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()


class _Credentials(GlobalSecondaryIndex["CredentialItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class _Sweep(GlobalSecondaryIndex["CredentialItem"]):
    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class CredentialItem(StateItem):
    """Metadata of a user's stored broker keys (never the keys); gsi1 lists every user's, gsi2 the
    users of each minute slot of the broker's reconciliation sweep."""

    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    masked_key = UnicodeAttribute()
    version = NumberAttribute()
    can_read = BooleanAttribute()
    can_trade = BooleanAttribute(null=True)
    can_withdraw = BooleanAttribute(null=True)
    paper_trading = BooleanAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    validated_at = UTCDateTimeAttribute()
    wrapped_at = UTCDateTimeAttribute()
    credentials = _Credentials()
    sweep = _Sweep()


class LockItem(StateItem):
    holder = UnicodeAttribute()
    expires_at = NumberAttribute()


class SwitchItem(StateItem):
    scope = UnicodeAttribute()
    target = UnicodeAttribute()
    mode = UnicodeAttribute()
    engaged_by = UnicodeAttribute()
    reason = UnicodeAttribute(default="")
    engaged_at = UTCDateTimeAttribute()


class BreakerItem(StateItem):
    broker = UnicodeAttribute()
    state = UnicodeAttribute()
    failures = NumberAttribute()
    opened_at = UTCDateTimeAttribute(null=True)
    probe_until = UTCDateTimeAttribute(null=True)
    version = NumberAttribute()


class EquityItem(StateItem):
    """The latest valuation at one broker; or the equity at the start of the user's local day (the
    day start: written once a day, by the first order)."""

    equity = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class ReconciledItem(StateItem):
    """What the last reconciliation at one broker found: the differences, as JSON (empty: none)."""

    differences = UnicodeAttribute()
    at = UTCDateTimeAttribute()


class ReconcileDueItem(StateItem):
    """A user to reconcile at a broker once `due_at` (seconds since the epoch) has passed."""

    due_at = NumberAttribute()
    expires_at = NumberAttribute()


class RiskSettingsItem(StateItem):
    """The user's risk settings as JSON (validated by nija.domain.risk)."""

    settings = UnicodeAttribute()


class PermissionsItem(StateItem):
    """What an admin allows the user, as JSON (validated by nija.domain.permissions), and who set it when."""

    permissions = UnicodeAttribute()
    updated_by = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()


class LoginGuardItem(StateItem):
    failures = ListAttribute(of=NumberAttribute, default=list)
    locked_until = NumberAttribute(default=0)
    version = NumberAttribute(default=0)


class ThrottleItem(StateItem):
    """A shared request budget, the broker's or one user's there (nija.domain.throttle).
    Expires with the table's TTL once it would be full again: a missing bucket is a full one."""

    tokens = NumberAttribute()
    updated_at = NumberAttribute()  # seconds since the epoch
    version = NumberAttribute()
    expires_at = NumberAttribute()


class RequestWindowItem(StateItem):
    """A user's API requests admitted in the last window (nija.domain.ratelimit), packed: the first
    time, then the gaps (adapters/dynamo/request_limits.py). Expires with the table's TTL once every
    request in it has left the window: a missing window is an empty one."""

    stamps = BinaryAttribute(legacy_encoding=False)
    expires_at = NumberAttribute()


class CandlesItem(StateItem):
    """A window of one market series (keyed by the close of its newest candle and its length): its
    candles as read from the broker (adapters/market_cache.py), as compact JSON. Expires with the
    table's TTL once the next candle has closed."""

    candles = UnicodeAttribute()
    expires_at = NumberAttribute()


class OrderItem(StateItem):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute()
    client_order_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    order_type = UnicodeAttribute()
    quantity = UnicodeAttribute()
    limit_price = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    filled_quantity = UnicodeAttribute()
    average_fill_price = UnicodeAttribute(null=True)
    fees = UnicodeAttribute()
    broker_order_id = UnicodeAttribute(null=True)
    reason_code = UnicodeAttribute(null=True)
    reason_message = UnicodeAttribute(null=True)
    cancel_requested = NumberAttribute(default=0)
    source = UnicodeAttribute()
    trade_ids = ListAttribute(of=UnicodeAttribute, default=list)
    fill_count = NumberAttribute(default=0)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    open_orders = _OpenOrders()
    by_time = _OrdersByTime()


class RequestKeyItem(StateItem):
    """An Idempotency-Key a user sent, and the order it made. Expires with the table's TTL."""

    order_id = UnicodeAttribute()
    expires_at = NumberAttribute()


class AuditOutboxItem(StateItem):
    """An audit event written with the change it records (a partition per subject), until
    the audit writer has appended it to its chain (nija.domain.audit_outbox). Expires with the TTL."""

    event = UnicodeAttribute()
    expires_at = NumberAttribute()


class PositionItem(StateItem):
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    symbol = UnicodeAttribute()
    quantity = UnicodeAttribute()
    average_price = UnicodeAttribute()
    realized_pnl = UnicodeAttribute()
    version = NumberAttribute()
    updated_at = UTCDateTimeAttribute()


class TradeItem(StateItem):
    user_id = UnicodeAttribute()
    broker = UnicodeAttribute()
    order_id = UnicodeAttribute()
    trade_id = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    quantity = UnicodeAttribute()
    price = UnicodeAttribute()
    fee = UnicodeAttribute()
    realized_pnl = UnicodeAttribute()
    timestamp = UTCDateTimeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    by_time = _TradesByTime()


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read and written as an exact Decimal (pynamodb's NumberAttribute uses float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class EquitySnapshotItem(StateItem):
    """The user's equity in one 5-minute bucket (UTC): the last valuation in it. Expires with the
    table's TTL."""

    equity = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    expires_at = NumberAttribute()


class PnlBucketItem(StateItem):
    """The fills recorded in one 15-minute bucket (UTC), added to
    in each fill's transaction: realized PnL, fills, closing fills and winning closing fills."""

    realized = DecimalAttribute(default=Decimal)
    trades = NumberAttribute(default=0)
    closing = NumberAttribute(default=0)
    wins = NumberAttribute(default=0)


class PaperBalanceItem(StateItem):
    asset = UnicodeAttribute()
    total = UnicodeAttribute()
    reserved = UnicodeAttribute()
    version = NumberAttribute(default=0)


class PaperOrderItem(StateItem):
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    broker_order_id = UnicodeAttribute()
    client_order_id = UnicodeAttribute()
    symbol = UnicodeAttribute()
    side = UnicodeAttribute()
    order_type = UnicodeAttribute()
    quantity = UnicodeAttribute()
    limit_price = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    fills = ListAttribute(default=list)  # list of maps: trade_id, quantity, price, fee, timestamp
    reserved = UnicodeAttribute(null=True)  # funds held while resting: quote for a buy, base for a sell
    created_at = UTCDateTimeAttribute()


class ConnectionItem(StateItem):
    """A WebSocket connection, twice: in its own partition (whose it is, for $disconnect) and in its
    user's (a user's connections, for the push). Both expire with the table's TTL after API Gateway's
    longest connection (2 hours)."""

    user_id = UnicodeAttribute()
    connection_id = UnicodeAttribute()
    connected_at = NumberAttribute()
    expires_at = NumberAttribute()


class _ScanShard(GlobalSecondaryIndex["StrategySettingsItem"]):
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class StrategySettingsItem(StateItem):
    """The user's strategy settings as JSON (nija.domain.settings). While enabled it sits in gsi1
    under its scan shard; disabled, it carries no gsi1 keys."""

    settings = UnicodeAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    scan_shard = _ScanShard()


class DeviceItem(StateItem):
    """A registered Expo push token, keyed by its hash (nija.domain.notifications)."""

    token = UnicodeAttribute()
    platform = UnicodeAttribute()
    registered_at = UTCDateTimeAttribute()


class NotifiedItem(StateItem):
    """A notification sent at most once (per day, say). Expires with the TTL."""

    expires_at = NumberAttribute()


ALL_MODELS: tuple[type[StateItem], ...] = (
    StateItem,
    UserItem,
    CredentialItem,
    LockItem,
    SwitchItem,
    BreakerItem,
    EquityItem,
    ReconciledItem,
    ReconcileDueItem,
    RiskSettingsItem,
    LoginGuardItem,
    OrderItem,
    RequestKeyItem,
    PositionItem,
    TradeItem,
    PaperBalanceItem,
    PaperOrderItem,
    ThrottleItem,
    RequestWindowItem,
    CandlesItem,
    StrategySettingsItem,
    ConnectionItem,
    EquitySnapshotItem,
    PnlBucketItem,
    DeviceItem,
    AuditOutboxItem,
    NotifiedItem,
)
