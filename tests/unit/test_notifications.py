"""Which user events notify, as what, under the user's choices."""

from __future__ import annotations

import pytest
from kit import FILL_EVENT
from pydantic import ValidationError

from nija.domain.notifications import Device, NotificationPrefs, device_key, notification_for

FILL = FILL_EVENT
DAILY = {
    "type": "risk_refusal",
    "order_id": "o2",
    "reason_code": "daily_loss_limit",
    "reason_message": "down 5%",
}
SIZE = {"type": "risk_refusal", "order_id": "o3", "reason_code": "position_size", "reason_message": "too big"}
BROKER = {
    "type": "order",
    "order_id": "o4",
    "status": "rejected",
    "reason_code": "insufficient_funds",
    "side": "sell",
    "quantity": "1",
    "symbol": "ETH/USD",
}
PAUSED = {"type": "trading_disabled", "reason": "5 broker errors in a row"}


def test_each_kind_maps_to_its_choice() -> None:
    everything = NotificationPrefs()
    assert notification_for(FILL, everything).kind == "fills"  # type: ignore[union-attr]
    assert notification_for(DAILY, everything).kind == "daily_loss_limit"  # type: ignore[union-attr]
    assert notification_for(SIZE, everything).kind == "refusals"  # type: ignore[union-attr]
    assert notification_for(BROKER, everything).kind == "refusals"  # type: ignore[union-attr]
    assert notification_for(PAUSED, everything).kind == "trading_disabled"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("event", "off"),
    [
        (FILL, "fills"),
        (DAILY, "daily_loss_limit"),
        (SIZE, "refusals"),
        (BROKER, "refusals"),
        (PAUSED, "trading_disabled"),
    ],
)
def test_a_kind_turned_off_sends_nothing(event: dict[str, str], off: str) -> None:
    assert notification_for(event, NotificationPrefs(**{off: False})) is None


def test_events_that_never_notify() -> None:
    prefs = NotificationPrefs()
    assert notification_for({"type": "position", "symbol": "BTC/USD"}, prefs) is None
    assert notification_for({"type": "order", "status": "filled"}, prefs) is None
    assert notification_for({"type": "kill_switch", "engaged": True}, prefs) is None


def test_a_fill_says_what_filled() -> None:
    note = notification_for(FILL, NotificationPrefs())
    assert note is not None
    assert (note.title, note.body, note.data) == (
        "BUY BTC/USD filled",
        "0.1 at 50000 on paper",
        {"order_id": "o1"},
    )


def test_only_expo_tokens_register() -> None:
    assert Device(token="ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]").platform == "unknown"
    with pytest.raises(ValidationError) as bad:
        Device(token="apns:abcdef")
    assert bad.value.errors()[0]["loc"] == ("token",)
    with pytest.raises(ValidationError):
        Device(token="ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]", platform="blackberry")
    assert device_key("a") != device_key("b") and len(device_key("a")) == 32
