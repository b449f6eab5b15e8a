"""Push notifications: which user events notify, as what, under the user's choices. Pure.

A user chooses per kind (`NotificationPrefs`, part of their settings); the stream processor hands
each user event (nija.domain.realtime) to `notification_for` and sends what comes back to the
user's registered devices (Expo push tokens) through the push port."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field, field_validator

from nija.domain.models import Frozen

EXPO_TOKEN = re.compile(r"^(ExponentPushToken|ExpoPushToken)\[[A-Za-z0-9_-]{10,64}\]$")
MAX_DEVICES = 10  # per user
EXPO_BATCH = 100  # Expo's push API takes at most 100 messages a request


class NotificationPrefs(Frozen):
    fills: bool = Field(True, description="an order filled, in part or whole")
    refusals: bool = Field(True, description="an order refused by a risk check or the broker")
    daily_loss_limit: bool = Field(True, description="the daily loss limit stopped trading for the day")
    trading_disabled: bool = Field(True, description="the platform disabled trading after broker errors")
    account_disabled: bool = Field(True, description="an administrator disabled the account")


class Device(Frozen):
    token: str = Field(description="an Expo push token: ExponentPushToken[...]")
    platform: str = Field("unknown", pattern="^(ios|android|web|unknown)$")

    @field_validator("token")
    @classmethod
    def _expo_token(cls, v: str) -> str:
        if not EXPO_TOKEN.fullmatch(v):
            raise ValueError("not an Expo push token (ExponentPushToken[...])")
        return v

    @property
    def key(self) -> str:
        return device_key(self.token)


def device_key(token: str) -> str:
    """A device's storage key: the token's hash (the token itself stays in the item only)."""
    return hashlib.sha256(token.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class PushNotification:
    kind: str  # a NotificationPrefs field
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PushMessage:
    to: str  # an Expo push token
    title: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


def notification_for(event: dict[str, Any], prefs: NotificationPrefs) -> PushNotification | None:
    """What one user event (nija.domain.realtime) notifies, if the user wants that kind."""
    kind = event.get("type")
    found: PushNotification | None = None
    if kind == "fill":
        side = str(event.get("side", "")).upper()
        found = PushNotification(
            "fills",
            f"{side} {event.get('symbol')} filled",
            f"{event.get('quantity')} at {event.get('price')} on {event.get('broker')}",
            {"order_id": event.get("order_id")},
        )
    elif kind == "risk_refusal":
        code = str(event.get("reason_code"))
        if code == "daily_loss_limit":  # once a trading day (nija.logic.notify), not per refused order
            found = PushNotification(
                "daily_loss_limit",
                "Daily loss limit reached",
                "No new orders until your next trading day.",
                {"order_id": event.get("order_id")},
            )
        else:
            found = PushNotification(
                "refusals",
                f"Order refused: {code}",
                str(event.get("reason_message") or event.get("symbol") or ""),
                {"order_id": event.get("order_id")},
            )
    elif kind == "order" and event.get("status") == "rejected":  # refused by the broker
        found = PushNotification(
            "refusals",
            f"Order rejected: {event.get('reason_code') or 'by the broker'}",
            f"{str(event.get('side', '')).upper()} {event.get('quantity')} {event.get('symbol')}",
            {"order_id": event.get("order_id")},
        )
    elif kind == "account_disabled":
        found = PushNotification(
            "account_disabled", "Account disabled", "An administrator disabled your account; contact support."
        )
    elif kind == "trading_disabled":
        found = PushNotification(
            "trading_disabled", "Trading paused", str(event.get("reason") or "after repeated broker errors")
        )
    if found is None or not getattr(prefs, found.kind):
        return None
    return found
