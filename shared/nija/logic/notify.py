"""Push notifications for user events: each user's choices, their devices, one send for the lot;
dead tokens are forgotten."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from nija.domain.errors import AccountInactive
from nija.domain.notifications import Device, NotificationPrefs, PushMessage, notification_for
from nija.domain.realtime import UserEvent
from nija.ports.push import Devices, PushSender


@dataclass
class Notifier:
    devices: Devices
    prefs: Callable[[str], NotificationPrefs]
    sender: PushSender
    trading_day: Callable[[str], date]  # the user's trading day now (their time zone)

    def notify(self, events: Iterable[UserEvent]) -> int:
        """Send what the events notify; returns how many messages went out. Events that never notify
        (positions, most order updates) and users without devices cost no read."""
        wanted: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)  # type: ignore[type-arg]
        devices: dict[str, list[Device]] = {}
        choices: dict[str, NotificationPrefs] = {}
        for event in events:
            if notification_for(event.event, EVERYTHING) is None:
                continue
            user = event.user_id
            if user not in devices:
                devices[user] = self.devices.list(user)
            if not devices[user]:
                continue
            if user not in choices:
                choices[user] = self.prefs(user)
            note = notification_for(event.event, choices[user])
            # The first refusal after the daily limit trips notifies; the day's later ones do not.
            if note is not None and note.kind in ONCE_A_DAY and not self._first_today(user, note.kind):
                continue
            if note is not None:
                wanted[user].append((note.title, note.body, {**note.data, "kind": note.kind}))
        messages = [
            (user, PushMessage(device.token, t, b, d))
            for user, notes in wanted.items()
            for device in devices[user]
            for t, b, d in notes
        ]
        if not messages:
            return 0
        outcomes = self.sender.send([m for _, m in messages])
        for (user_id, message), outcome in zip(messages, outcomes, strict=True):
            if outcome == "device_gone":
                self.devices.remove(user_id, message.to)
        return len(messages)

    def _first_today(self, user_id: str, kind: str) -> bool:
        try:
            return self.devices.once(user_id, f"{kind}#{self.trading_day(user_id).isoformat()}")
        except AccountInactive:
            return False  # being erased or gone: no more notices (and nothing left behind)


EVERYTHING = NotificationPrefs()
ONCE_A_DAY = frozenset({"daily_loss_limit"})
