"""What a user sees in real time: a change to one of their state-table items, as a user event.

Pure: the stream processor hands in a stream record's event name, the item's key as read by the
stream decoder (nija.adapters.dynamo.stream_records: its kind and whose it is; no key is spelt here)
and its images (already plain Python values), and gets back the user the event is for and the event
itself, or None for an item no user watches (candles, throttles, controls, the paper broker's book,
connections...).

Events (JSON, `type` first; decimals as strings, times as ISO 8601):
  order         an order was recorded or its status / filled quantity changed
  fill          a trade (a fill) was recorded
  position      a position was opened, changed or closed
  kill_switch   the user's own kill switch was engaged or released
  risk_refusal  an order was refused by a pre-trade risk check (its reason_code)
  trading_disabled  the platform stopped the user's trading (repeated broker errors)
  account_disabled  an admin disabled the account (the stream processor then closes its connections)
  account_deleted   the owner or an admin is erasing the account (its connections are closed too)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from nija.domain.items import ItemKey, ItemKind
from nija.domain.risk import RefusalCode
from nija.domain.standing import ACCOUNT_DELETION

EventName = Literal["INSERT", "MODIFY", "REMOVE"]

# The kinds of item users watch, in their own partitions: also the stream event source's filter
# (infra_cdk) and the local poller's, so Lambda is not invoked for anything else.
WATCHED: tuple[ItemKind, ...] = (
    ItemKind.ORDER,
    ItemKind.TRADE,
    ItemKind.POSITION,
    ItemKind.USER_SWITCH,
    ItemKind.PROFILE,
)
# Everything the stream processor reads: also equity snapshots for time series (nija.logic.telemetry)
# and the user's connections, to keep its map of them (nija.logic.realtime).
STREAMED: tuple[ItemKind, ...] = (*WATCHED, ItemKind.EQUITY_SNAPSHOT, ItemKind.USER_CONNECTION)

_RISK_CODES = frozenset(code.value for code in RefusalCode)
_PYNAMODB_TIME = "%Y-%m-%dT%H:%M:%S.%f%z"


@dataclass(frozen=True)
class UserEvent:
    user_id: str
    event: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.event["type"])


@dataclass(frozen=True)
class ConnectionChange:
    user_id: str
    connection_id: str
    opened: bool


def connection_for(event_name: str, key: ItemKey) -> ConnectionChange | None:
    """A user's connection item written ($connect) or removed ($disconnect, a gone connection, the
    TTL), or None for any other item."""
    if key.kind is not ItemKind.USER_CONNECTION:
        return None
    return ConnectionChange(key.owner, key.name, opened=event_name != "REMOVE")


def pynamodb_time(value: Any) -> datetime | None:
    """A time as pynamodb's UTCDateTimeAttribute stores it, parsed; None when absent or unreadable."""
    try:
        return datetime.strptime(str(value), _PYNAMODB_TIME) if value is not None else None
    except ValueError:
        return None


def event_for(
    event_name: EventName | str,
    key: ItemKey,
    new: dict[str, Any] | None,
    old: dict[str, Any] | None,
) -> UserEvent | None:
    """The event a change to this item makes for its user, or None."""
    if key.kind not in WATCHED:
        return None
    new, old = new or {}, old or {}
    event: dict[str, Any] | None
    if key.kind is ItemKind.USER_SWITCH:
        event = _kill_switch(event_name, new)
    elif key.kind is ItemKind.PROFILE:
        event = _trading_disabled(new, old)
    elif key.kind is ItemKind.ORDER:
        event = _order(event_name, new, old)
    elif key.kind is ItemKind.TRADE:
        event = _fill(new) if event_name == "INSERT" else None
    else:
        event = _position(event_name, new, old)
    return UserEvent(key.owner, event) if event is not None else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value)


def _time(value: Any) -> str | None:
    """pynamodb's UTCDateTimeAttribute format to ISO 8601 (what the HTTP API returns)."""
    if value is None:
        return None
    parsed = pynamodb_time(value)
    return parsed.isoformat() if parsed is not None else str(value)


def _pick(image: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: _text(image.get(name)) for name in names}


def _order(event_name: str, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any] | None:
    if event_name == "REMOVE" or not new:
        return None
    changed = any(new.get(f) != old.get(f) for f in ("status", "filled_quantity", "reason_code"))
    if old and not changed:
        return None  # a bookkeeping write (a sync that found nothing new): nothing to show
    common = {
        **_pick(new, "order_id", "client_order_id", "broker", "symbol", "side", "quantity", "status"),
        "updated_at": _time(new.get("updated_at")),
    }
    reason_code = new.get("reason_code")
    if new.get("status") == "rejected" and reason_code in _RISK_CODES:
        return {
            "type": "risk_refusal",
            **common,
            "reason_code": str(reason_code),
            "reason_message": _text(new.get("reason_message")),
        }
    return {
        "type": "order",
        **common,
        **_pick(new, "filled_quantity", "average_fill_price", "limit_price", "fees", "reason_code"),
        "order_type": _text(new.get("order_type")),
        "created_at": _time(new.get("created_at")),
    }


def _fill(new: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "fill",
        **_pick(new, "order_id", "trade_id", "broker", "symbol", "side", "quantity", "price", "fee"),
        "realized_pnl": _text(new.get("realized_pnl")),
        "timestamp": _time(new.get("timestamp")),
    }


def _position(event_name: str, new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any] | None:
    image = new if event_name != "REMOVE" else old
    if not image:
        return None
    fields = ("quantity", "average_price", "realized_pnl")
    if event_name == "MODIFY" and all(new.get(f) == old.get(f) for f in fields):
        return None
    return {
        "type": "position",
        **_pick(image, "broker", "symbol"),
        "quantity": "0" if event_name == "REMOVE" else _text(image.get("quantity")),
        **_pick(image, "average_price", "realized_pnl"),
        "updated_at": _time(image.get("updated_at")),
    }


def _kill_switch(event_name: str, new: dict[str, Any]) -> dict[str, Any] | None:
    if event_name == "REMOVE":
        return {"type": "kill_switch", "engaged": False, "mode": None, "reason": None, "engaged_at": None}
    if not new:
        return None
    return {
        "type": "kill_switch",
        "engaged": True,
        **_pick(new, "mode", "reason"),
        "engaged_at": _time(new.get("engaged_at")),
    }


SESSION_ENDING = frozenset({"account_disabled", "account_deleted"})  # told, then the sockets are closed


def _trading_disabled(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any] | None:
    """Only the moment the account is disabled (by an admin) or the platform pauses its trading:
    nothing else of a profile is shown."""
    if new.get("status") == "disabled" and old.get("status") == "active":
        return {"type": "account_disabled"}
    reason, before = new.get("trading_disabled_reason"), old.get("trading_disabled_reason")
    if reason == ACCOUNT_DELETION != before:  # the erasure began, paused before or not
        return {"type": "account_deleted"}
    if not reason or before:
        return None
    return {"type": "trading_disabled", "reason": _text(reason)}
