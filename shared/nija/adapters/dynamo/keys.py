"""Every key of the state and audit tables: prefixes, builders and the parser, and the layout below.

The one place keys are spelt. Writers build them here; the stream decoders (stream_records.py,
outbox_records.py) read them here and make the event sources' filters of them (``stream_filter``: the
CDK app's and the local pollers'), and so do the export and the erasure (user_data.py). Above the
adapters an item is known by its kind (nija.domain.items), never by its key: ``parse`` names a key's
kind. Tables, key attributes and indexes are defined in nija.catalogue; the state table's TTL
attribute is ``expires_at``. STATE_SHAPES and AUDIT_SHAPES are this table as data, and a test holds
every item the code writes to them, exported and erased as they say.

State table: pk / sk                                  kind · written by (.py) · export section
  USER#<user_id> / PROFILE                              PROFILE · accounts · profile (erased last)
      gsi2: USERS / <created>#<user_id>                 every profile by time (the admin console)
  USER#<user_id> / CRED#<broker>                        BROKER_CREDENTIALS · credentials · broker_credentials
      gsi1: CREDENTIALS / <user_id>#<broker>            every stored key (the vault's re-wrap)
      gsi2: SWEEP#<broker>#<slot> / <user_id>           the reconciliation sweep's minute slots
  USER#<user_id> / LOCK#VAULT                           CREDENTIAL_LOCK · credentials · none: held for
                                                        seconds while any of the keys change; TTL
  USER#<user_id> / STRATEGY                             STRATEGY_SETTINGS · settings · strategy_settings
      gsi1: SCAN#<shard> / <user_id>                    while enabled (the strategy scan's shards)
  USER#<user_id> / RISK                                 RISK_SETTINGS · risk · risk_settings
  USER#<user_id> / SWITCH                               USER_SWITCH · controls · kill_switch
  USER#<user_id> / ORDER#<order_id>                     ORDER · stores · orders
      gsi1: OPEN#<broker> / <user_id>#<order_id>        while open at the broker (the sync schedule)
      gsi2: USER#<user_id> / ORDER#<created>#<order_id> newest first (the listing, the export)
  USER#<user_id> / REQUEST#<idempotency key>            REQUEST_KEY · stores · request_keys; TTL 7 days
  USER#<user_id> / POS#<broker>#<symbol>                POSITION · stores · positions
  USER#<user_id> / TRADE#<broker>#<order_id>#<trade_id> TRADE · stores · trades
      gsi2: USER#<user_id> / TRADE#<timestamp>#<trade_id>  newest first (the listing, the export)
  USER#<user_id> / EQUITY#<broker>                      EQUITY · risk · equity
  USER#<user_id> / EQUITY#~DAY                          DAY_START · risk · equity (one query reads both)
  USER#<user_id> / EQSNAP#<yyyy-mm-ddThh:mm>            EQUITY_SNAPSHOT · analytics · equity_snapshots; TTL
  USER#<user_id> / PNL#<yyyy-mm-ddThh:mm>               PNL_BUCKET · stores (each fill) · pnl_buckets
  USER#<user_id> / DEVICE#<hash of the token>           DEVICE · devices · devices
  USER#<user_id> / NOTIFIED#<key>                       NOTIFIED · devices · notifications_sent; TTL 2 days
  USER#<user_id> / WS#<connection_id>                   USER_CONNECTION · connections · websocket_connections
  USER#<user_id> / RECONCILED#<broker>                  RECONCILED · reconcile · reconciliation
  CONN#<connection_id> / CONN                           CONNECTION · connections · none: as its twin
                                                        above; both expire after 2 hours
  PAPER#<user_id> / BAL#<asset>                         PAPER_BALANCE · paper/dynamo · paper_balances
  PAPER#<user_id> / ORDER#<client_order_id>             PAPER_ORDER · paper/dynamo · paper_orders
      gsi1: PAPER_OPEN / <user_id>                      while it rests (the paper broker's matching)
  OUTBOX#<subject> / AUDIT#<event_id>                   AUDIT_OUTBOX · writes · audit_events (appended to
                                                        the chain first); TTL 7 days
  LOGIN#<sha256 of the address> / GUARD                 LOGIN_GUARD · accounts · none: failed sign-ins
  THROTTLE#<broker>[#<user_id>] / BUCKET                THROTTLE_BUCKET · throttle · none: a counter; TTL
  DUE#<broker> / <user_id>                              RECONCILE_DUE · ledger (each fill) · none: a
                                                        reminder, deleted when done; TTL 1 day
  LIMIT#<user_id> / WINDOW                              REQUEST_WINDOW · request_limits · none: a counter
                                                        of the last minute's API requests; TTL
  CONTROL / SWITCH#global                               GLOBAL_SWITCH · controls · the platform's
  CONTROL / SWITCH#broker#<broker>                      BROKER_SWITCH · controls · the platform's
  CONTROL / BREAKER#<broker>                            BREAKER · controls · the platform's
  CANDLES#<broker>#<symbol>#<timeframe> / <close, 12 digits>#<limit>
                                                        CANDLES · market_cache · the platform's; TTL

Audit table: one hash chain per subject, append-only (audit.py), kept on erasure (pseudonymous).
  AUDIT#<subject> / <seq, 12 digits>                    AUDIT_RECORD · audit · audit_events
      gsi1: AUDIT / <time>#<subject>#<seq>              every record by time
      gsi2: AUDIT#<subject> / <time>#<seq>              a subject's records by time
      gsi3: CHAINS / <subject>#<seq>                    every record in chain order (verify them all)
      gsi4: ACTOR#<actor> / <time>#<subject>#<seq>      what one person did (platform actors: no gsi4)
  EVENT#<event_id> / EVENT                              AUDIT_EVENT · audit · none: an event's place in
                                                        its chain, so that it is appended once
  LATE#<day> / <appended>#<subject>#<seq>               AUDIT_LATE · audit · none: a record appended
                                                        long after its event, by the time it was, so
                                                        that the anchor reads only what is new
Erasure (user_data.py) deletes every state item of the user's above, the profile last.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nija.domain.items import ItemKey
from nija.domain.items import ItemKind as K
from nija.domain.switches import SwitchScope


@dataclass(frozen=True)
class Shape:
    """One kind of item: its key patterns (literal text, then <names>) and its export section (None:
    not exported, for the reason the layout gives)."""

    kind: K
    pk: str
    sk: str
    export: str | None = None

    def match(self, pk: str, sk: str) -> tuple[int, ItemKey] | None:
        """How closely the pattern fits these keys (the more literal text, the closer), or None."""
        owner, name = _rest(self.pk, pk), _rest(self.sk, sk)
        if owner is None or name is None:
            return None
        exact = ("<" not in self.pk) + ("<" not in self.sk)
        return exact * 1000 + len(pk) - len(owner) + len(sk) - len(name), ItemKey(self.kind, owner, name)


def _rest(pattern: str, key: str) -> str | None:
    literal = pattern.split("<", 1)[0]
    if "<" not in pattern:
        return "" if key == literal else None
    return key[len(literal) :] if key.startswith(literal) else None


USER = "USER#<user_id>"
STATE_SHAPES: tuple[Shape, ...] = (
    Shape(K.PROFILE, USER, "PROFILE", "profile"),
    Shape(K.BROKER_CREDENTIALS, USER, "CRED#<broker>", "broker_credentials"),
    Shape(K.CREDENTIAL_LOCK, USER, "LOCK#VAULT"),
    Shape(K.STRATEGY_SETTINGS, USER, "STRATEGY", "strategy_settings"),
    Shape(K.RISK_SETTINGS, USER, "RISK", "risk_settings"),
    Shape(K.USER_SWITCH, USER, "SWITCH", "kill_switch"),
    Shape(K.ORDER, USER, "ORDER#<order_id>", "orders"),
    Shape(K.REQUEST_KEY, USER, "REQUEST#<idempotency key>", "request_keys"),
    Shape(K.POSITION, USER, "POS#<broker>#<symbol>", "positions"),
    Shape(K.TRADE, USER, "TRADE#<broker>#<order_id>#<trade_id>", "trades"),
    Shape(K.EQUITY, USER, "EQUITY#<broker>", "equity"),
    Shape(K.DAY_START, USER, "EQUITY#~DAY", "equity"),
    Shape(K.EQUITY_SNAPSHOT, USER, "EQSNAP#<yyyy-mm-ddThh:mm>", "equity_snapshots"),
    Shape(K.PNL_BUCKET, USER, "PNL#<yyyy-mm-ddThh:mm>", "pnl_buckets"),
    Shape(K.DEVICE, USER, "DEVICE#<hash of the token>", "devices"),
    Shape(K.NOTIFIED, USER, "NOTIFIED#<key>", "notifications_sent"),
    Shape(K.USER_CONNECTION, USER, "WS#<connection_id>", "websocket_connections"),
    Shape(K.RECONCILED, USER, "RECONCILED#<broker>", "reconciliation"),
    Shape(K.CONNECTION, "CONN#<connection_id>", "CONN"),
    Shape(K.PAPER_BALANCE, "PAPER#<user_id>", "BAL#<asset>", "paper_balances"),
    Shape(K.PAPER_ORDER, "PAPER#<user_id>", "ORDER#<client_order_id>", "paper_orders"),
    Shape(K.AUDIT_OUTBOX, "OUTBOX#<subject>", "AUDIT#<event_id>", "audit_events"),
    Shape(K.LOGIN_GUARD, "LOGIN#<sha256 of the address>", "GUARD"),
    Shape(K.THROTTLE_BUCKET, "THROTTLE#<broker>[#<user_id>]", "BUCKET"),
    Shape(K.RECONCILE_DUE, "DUE#<broker>", "<user_id>"),
    Shape(K.REQUEST_WINDOW, "LIMIT#<user_id>", "WINDOW"),
    Shape(K.GLOBAL_SWITCH, "CONTROL", "SWITCH#global"),
    Shape(K.BROKER_SWITCH, "CONTROL", "SWITCH#broker#<broker>"),
    Shape(K.BREAKER, "CONTROL", "BREAKER#<broker>"),
    Shape(K.CANDLES, "CANDLES#<broker>#<symbol>#<timeframe>", "<close, 12 digits>#<limit>"),
)
AUDIT_SHAPES: tuple[Shape, ...] = (
    Shape(K.AUDIT_RECORD, "AUDIT#<subject>", "<seq, 12 digits>", "audit_events"),
    Shape(K.AUDIT_EVENT, "EVENT#<event_id>", "EVENT"),
    Shape(K.AUDIT_LATE, "LATE#<day>", "<appended>#<subject>#<seq>"),
)
SHAPE: dict[K, Shape] = {s.kind: s for s in STATE_SHAPES + AUDIT_SHAPES}


def parse(pk: str, sk: str) -> ItemKey | None:
    """The kind of item these keys name (and whose it is), or None for keys of no declared kind."""
    fits = [m for shape in SHAPE.values() if (m := shape.match(pk, sk)) is not None]
    return max(fits, key=lambda fit: fit[0])[1] if fits else None


def sk_prefix(kind: K) -> str:
    """The literal start of a kind's sort key (all of it for a kind of one item per partition)."""
    return SHAPE[kind].sk.split("<", 1)[0]


def pk_prefix(kind: K) -> str:
    return SHAPE[kind].pk.split("<", 1)[0]


def key_of(keys: Mapping[str, Any]) -> ItemKey | None:
    """``parse`` of a record's keys (a stream record's, as plain values)."""
    return parse(str(keys.get("pk", "")), str(keys.get("sk", "")))


@dataclass(frozen=True)
class StreamFilter:
    """Which records of the state table's stream an event source keeps: the partition key under one
    prefix, the sort key under any of some (the CDK app's filter rules; the local pollers' ``keeps``)."""

    pk_prefix: str
    sk_prefixes: tuple[str, ...]

    def keeps(self, keys: Mapping[str, Any]) -> bool:
        pk, sk = str(keys.get("pk", "")), str(keys.get("sk", ""))
        return pk.startswith(self.pk_prefix) and sk.startswith(self.sk_prefixes)


def stream_filter(kinds: Iterable[K]) -> StreamFilter:
    """The filter that keeps these kinds of item (kinds under one partition-key prefix)."""
    kinds = tuple(kinds)
    [prefix] = {pk_prefix(k) for k in kinds}
    return StreamFilter(prefix, tuple(sk_prefix(k) for k in kinds))


def _builder(prefix: str) -> Callable[[str], str]:
    """The key of an item (or a partition) of a kind: its prefix, then a name (an id, a broker...)."""
    return prefix.__add__


def _reader(prefix: str) -> Callable[[str], str]:
    """The name in a key that _builder(prefix) made."""
    return lambda key: key.removeprefix(prefix)


def sortable_time(at: datetime) -> str:
    """Fixed-width UTC text, so that string order is time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- a user's partition --------------------------------------------------------------------------

USER_PREFIX = "USER#"
PROFILE = "PROFILE"
USERS_INDEX = "USERS"  # gsi2: every profile by creation time
STRATEGY = "STRATEGY"
RISK = "RISK"
USER_SWITCH = "SWITCH"
CREDENTIAL_PREFIX = "CRED#"
CREDENTIALS_INDEX = "CREDENTIALS"  # gsi1: every stored key's metadata
ORDER_PREFIX = "ORDER#"  # an order's sort key, and its gsi2 sort key (by time)
POSITION_PREFIX = "POS#"
TRADE_PREFIX = "TRADE#"  # a trade's sort key, and its gsi2 sort key (by time)
EQUITY_PREFIX = "EQUITY#"  # the valuation at each broker, and the day start
DAY_START = "EQUITY#~DAY"
EQUITY_SNAPSHOT_PREFIX = "EQSNAP#"
DEVICE_PREFIX = "DEVICE#"
CONNECTION_SK = "CONN"  # a connection's own item, in its own partition
VAULT_LOCK_SK = "LOCK#VAULT"  # one per user: their secret holds every broker's keys

user_pk = _builder(USER_PREFIX)
user_id_of = _reader(USER_PREFIX)
credential_sk = _builder(CREDENTIAL_PREFIX)  # and the broker
order_sk = _builder(ORDER_PREFIX)
open_orders_pk = _builder("OPEN#")  # gsi1's partition of a broker's open orders
request_key_sk = _builder("REQUEST#")
equity_sk = _builder(EQUITY_PREFIX)  # and the broker
device_sk = _builder(DEVICE_PREFIX)  # and the token's hash (nija.domain.notifications.device_key)
notified_sk = _builder("NOTIFIED#")
user_connection_sk = _builder("WS#")
connection_pk = _builder("CONN#")
reconciled_sk = _builder("RECONCILED#")  # and the broker
reconcile_due_pk = _builder("DUE#")  # and the broker; the sort key is the user id


def user_by_time_sk(created_at: datetime, user_id: str) -> str:
    return f"{created_at.isoformat()}#{user_id}"


def credential_index_sk(user_id: str, broker: str) -> str:
    return f"{user_id}#{broker}"


def sweep_pk(broker: str, slot: int) -> str:
    """gsi2's partition of one minute slot of a broker's reconciliation sweep (sort key: the user id)."""
    return f"SWEEP#{broker}#{slot}"


def scan_pk(shard: int) -> str:
    """gsi1's partition of one scan shard (its sort key: the user id)."""
    return f"SCAN#{shard}"


def open_order_sk(user_id: str, order_id: str) -> str:
    return f"{user_id}#{order_id}"


def order_by_time_sk(created_at: datetime, order_id: str) -> str:
    return f"{ORDER_PREFIX}{sortable_time(created_at)}#{order_id}"


def position_sk(broker: str, symbol: str) -> str:
    return f"{POSITION_PREFIX}{broker}#{symbol}"


def trade_sk(broker: str, order_id: str, trade_id: str) -> str:
    return f"{TRADE_PREFIX}{broker}#{order_id}#{trade_id}"


def trade_by_time_sk(timestamp: datetime, trade_id: str) -> str:
    return f"{TRADE_PREFIX}{sortable_time(timestamp)}#{trade_id}"


def equity_broker(sk: str) -> str | None:
    """The broker of an equity item's sort key; None for the day start's."""
    return None if sk == DAY_START else sk.removeprefix(EQUITY_PREFIX)


# Analytics (nija.adapters.dynamo.analytics): equity snapshots and realized-PnL buckets, in UTC.
SNAPSHOT_MINUTES = 5  # one equity snapshot per user and 5 minutes: the last valuation in the bucket
PNL_BUCKET_MINUTES = 15  # every time zone's offset is a multiple of 15 minutes: buckets add up to local days
_BUCKET_TIME = "%Y-%m-%dT%H:%M"


def floor_minutes(at: datetime, minutes: int) -> datetime:
    at = at.astimezone(UTC)
    return at.replace(minute=at.minute - at.minute % minutes, second=0, microsecond=0)


def equity_snapshot_sk(at: datetime) -> str:
    return f"{EQUITY_SNAPSHOT_PREFIX}{floor_minutes(at, SNAPSHOT_MINUTES):{_BUCKET_TIME}}"


def pnl_bucket_sk(at: datetime) -> str:
    return f"PNL#{floor_minutes(at, PNL_BUCKET_MINUTES):{_BUCKET_TIME}}"


def bucket_time(sk: str) -> datetime:
    """When a snapshot's or a PnL bucket's 5 or 15 minutes begin."""
    return datetime.strptime(sk.partition("#")[2], _BUCKET_TIME).replace(tzinfo=UTC)


# --- the paper broker's book, the audit outbox ------------------------------------------------------

PAPER_OPEN = "PAPER_OPEN"  # gsi1: every resting paper order (its sort key: the user id)
PAPER_BALANCE_PREFIX = "BAL#"
PAPER_ORDER_PREFIX = "ORDER#"
OUTBOX_PREFIX = "OUTBOX#"  # one partition per chain, so the stream keeps its order
OUTBOX_SK_PREFIX = "AUDIT#"

paper_pk = _builder("PAPER#")
paper_user_id_of = _reader("PAPER#")
paper_balance_sk = _builder(PAPER_BALANCE_PREFIX)  # and the asset
paper_order_sk = _builder(PAPER_ORDER_PREFIX)  # and the client order id
outbox_pk = _builder(OUTBOX_PREFIX)  # and the subject
outbox_subject_of = _reader(OUTBOX_PREFIX)
outbox_sk = _builder(OUTBOX_SK_PREFIX)  # and the event id

# --- sign-in guards, request budgets and windows, the platform's controls, candles -------------------

GUARD = "GUARD"
THROTTLE_BUCKET = "BUCKET"
REQUEST_WINDOW = "WINDOW"
CONTROL = "CONTROL"
SWITCH_PREFIX = "SWITCH#"  # the platform's switches, under CONTROL
BREAKER_PREFIX = "BREAKER#"
breaker_sk = _builder(BREAKER_PREFIX)


def login_guard_pk(name: str) -> str:
    """Sign-in names are hashed: the guard item does not need the address itself."""
    return f"LOGIN#{hashlib.sha256(name.strip().lower().encode()).hexdigest()}"


def throttle_pk(broker: str, account: str | None) -> str:
    """A broker's request budget, or one account's there: each its own partition, so that one busy
    user's bucket never shares a partition with another's."""
    return f"THROTTLE#{broker}" if account is None else f"THROTTLE#{broker}#{account}"


def request_window_pk(user_id: str) -> str:
    """A user's API request window, in a partition of its own: written on every admitted request,
    it shares no partition with the user's data."""
    return f"LIMIT#{user_id}"


def switch_key(scope: SwitchScope, target: str) -> tuple[str, str]:
    if scope is SwitchScope.USER:
        return user_pk(target), USER_SWITCH
    if scope is SwitchScope.BROKER:
        return CONTROL, f"{SWITCH_PREFIX}broker#{target}"
    return CONTROL, f"{SWITCH_PREFIX}global"


def candles_pk(broker: str, symbol: str, timeframe: str) -> str:
    """One partition per market series: every cached window of it sits together."""
    return f"CANDLES#{broker}#{symbol}#{timeframe}"


def candles_sk(close: int, limit: int) -> str:
    """The window: when its newest candle closed (epoch seconds, fixed width) and how many it holds."""
    return f"{close:012d}#{limit}"


# --- the audit table ---------------------------------------------------------------------------

AUDIT_PREFIX = "AUDIT#"
ALL_BY_TIME = "AUDIT"  # gsi1's one partition: every record by time
CHAINS = "CHAINS"  # gsi3's one partition: every record in chain order
EVENT_SK = "EVENT"

audit_pk = _builder(AUDIT_PREFIX)  # and the subject (gsi2's partition too)
audit_subject_of = _reader(AUDIT_PREFIX)
audit_actor_pk = _builder("ACTOR#")  # gsi4's partition: one person's acts
audit_event_pk = _builder("EVENT#")  # and the event id


def audit_late_pk(appended: datetime) -> str:
    """The late records appended on one UTC day."""
    return f"LATE#{appended.astimezone(UTC).date().isoformat()}"


def audit_late_days(since: datetime, until: datetime) -> list[str]:
    """The partitions of the late records appended between the two times."""
    first, last = since.astimezone(UTC).date(), until.astimezone(UTC).date()
    return [
        audit_late_pk(datetime.combine(first + timedelta(days=n), datetime.min.time(), UTC))
        for n in range((last - first).days + 1)
    ]


def audit_late_position(sk: str) -> tuple[str, int]:
    """The chain and seq a late record's marker names."""
    subject, seq = sk.split("#", 1)[1].rsplit("#", 1)
    return subject, int(seq)


def seq_sk(seq: int) -> str:
    return f"{seq:012d}"


def chain_sk(subject: str, seq: int) -> str:
    """gsi3's sort key: every chain, each in order."""
    return f"{subject}#{seq_sk(seq)}"


def audit_by_time_sk(at: datetime, subject: str, seq: int) -> str:
    """gsi1's and gsi4's sort key: by time, then chain and seq."""
    return f"{sortable_time(at)}#{subject}#{seq_sk(seq)}"


def audit_subject_time_sk(at: datetime, seq: int) -> str:
    """gsi2's sort key: a subject's records by time."""
    return f"{sortable_time(at)}#{seq_sk(seq)}"
