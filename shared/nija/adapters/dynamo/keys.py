"""Key builders for the state table (layout documented in nija.catalogue)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


PROFILE = "PROFILE"


def order_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def request_key_sk(key: str) -> str:
    return f"REQUEST#{key}"


def position_sk(broker: str, symbol: str) -> str:
    return f"POS#{broker}#{symbol}"


def trade_sk(broker: str, order_id: str, trade_id: str) -> str:
    return f"TRADE#{broker}#{order_id}#{trade_id}"


def open_orders_pk(broker: str) -> str:
    return f"OPEN#{broker}"


def paper_pk(user_id: str) -> str:
    return f"PAPER#{user_id}"


def paper_balance_sk(asset: str) -> str:
    return f"BAL#{asset}"


def paper_order_sk(client_order_id: str) -> str:
    return f"ORDER#{client_order_id}"


def sortable_time(at: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def order_by_time_sk(created_at: datetime, order_id: str) -> str:
    return f"ORDER#{sortable_time(created_at)}#{order_id}"


def trade_by_time_sk(timestamp: datetime, trade_id: str) -> str:
    return f"TRADE#{sortable_time(timestamp)}#{trade_id}"


GUARD = "GUARD"


def login_guard_pk(name: str) -> str:
    """Sign-in names are hashed: the guard item does not need the address itself."""
    return f"LOGIN#{hashlib.sha256(name.strip().lower().encode()).hexdigest()}"


def audit_pk(subject: str) -> str:
    return f"AUDIT#{subject}"


def audit_actor_pk(actor: str) -> str:
    return f"ACTOR#{actor}"


def credential_sk(broker: str) -> str:
    return f"CRED#{broker}"


CREDENTIALS_INDEX = "CREDENTIALS"


def credential_lock_sk(broker: str) -> str:
    return f"LOCK#CRED#{broker}"


def throttle_pk(broker: str, account: str | None) -> str:
    """A broker's request budget, or one account's there: each its own partition, so that one busy
    user's bucket never shares a partition with another's."""
    return f"THROTTLE#{broker}" if account is None else f"THROTTLE#{broker}#{account}"


THROTTLE_BUCKET = "BUCKET"


def candles_pk(broker: str, symbol: str, timeframe: str) -> str:
    """One partition per market series: every cached window of it sits together."""
    return f"CANDLES#{broker}#{symbol}#{timeframe}"


def candles_sk(close: int, limit: int) -> str:
    """The window: when its newest candle closed (epoch seconds, fixed width) and how many it holds."""
    return f"{close:012d}#{limit}"


# Analytics (nija.adapters.dynamo.analytics): equity snapshots and realized-PnL buckets, in UTC.
SNAPSHOT_MINUTES = 5  # one equity snapshot per user and 5 minutes: the last valuation in the bucket
PNL_BUCKET_MINUTES = 15  # every time zone's offset is a multiple of 15 minutes: buckets add up to local days


def floor_minutes(at: datetime, minutes: int) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % minutes, second=0, microsecond=0)


def equity_snapshot_sk(at: datetime) -> str:
    return f"EQSNAP#{floor_minutes(at, SNAPSHOT_MINUTES):%Y-%m-%dT%H:%M}"


def pnl_bucket_sk(at: datetime) -> str:
    return f"PNL#{floor_minutes(at, PNL_BUCKET_MINUTES):%Y-%m-%dT%H:%M}"
