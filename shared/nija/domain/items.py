"""What each item of the platform's tables holds, by kind, and a key once read.

The domain knows stored items by kind only: how each kind is keyed (prefixes, builders, parsing) is
the storage's, in one module (nija.adapters.dynamo.keys, whose docstring is the layout table). The
stream decoders name a record's kind there and hand the kind to the logic (nija.domain.realtime,
nija.logic.telemetry), so nothing above the adapters reads a key.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ItemKind(StrEnum):
    # a user's own partition
    PROFILE = "profile"
    BROKER_CREDENTIALS = "broker_credentials"  # metadata of the keys in the vault, never the keys
    CREDENTIAL_LOCK = "credential_lock"
    STRATEGY_SETTINGS = "strategy_settings"
    RISK_SETTINGS = "risk_settings"
    USER_SWITCH = "user_switch"  # the user's own kill switch
    ORDER = "order"
    REQUEST_KEY = "request_key"  # an Idempotency-Key and the order it made
    POSITION = "position"
    TRADE = "trade"  # a recorded fill
    EQUITY = "equity"  # the latest valuation at one broker
    DAY_START = "day_start"  # the equity at the start of the user's day
    EQUITY_SNAPSHOT = "equity_snapshot"
    PNL_BUCKET = "pnl_bucket"
    DEVICE = "device"
    NOTIFIED = "notified"  # a notification sent at most once
    USER_CONNECTION = "user_connection"  # one of the user's WebSocket connections
    RECONCILED = "reconciled"  # what the last reconciliation at one broker found
    # the user's, in partitions of their own
    CONNECTION = "connection"  # a WebSocket connection's user
    PAPER_BALANCE = "paper_balance"
    PAPER_ORDER = "paper_order"
    AUDIT_OUTBOX = "audit_outbox"  # an audit event on its way to its chain
    LOGIN_GUARD = "login_guard"
    THROTTLE_BUCKET = "throttle_bucket"  # a request budget at a broker (the broker's or one user's)
    RECONCILE_DUE = "reconcile_due"  # a user to reconcile soon at a broker (after a fill)
    REQUEST_WINDOW = "request_window"  # a user's API requests in the last minute (their tier's limit)
    # the platform's
    GLOBAL_SWITCH = "global_switch"
    BROKER_SWITCH = "broker_switch"
    BREAKER = "breaker"
    CANDLES = "candles"
    # the audit table
    AUDIT_RECORD = "audit_record"  # one record of a subject's hash chain
    AUDIT_EVENT = "audit_event"  # an event's place in its chain (appended once)
    AUDIT_LATE = "audit_late"  # a record appended well after its event: the anchor's pointer to it


@dataclass(frozen=True)
class ItemKey:
    """A key read: the item's kind, whose it is (the partition key's name: a user id, an audit
    subject, a connection id...) and its name within that partition (an order id, a connection id,
    an event id...; empty for a kind of one item per partition)."""

    kind: ItemKind
    owner: str
    name: str = ""
