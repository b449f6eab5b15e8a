"""Push notifications for user events: each user's choices, their devices, one send for the lot;
dead tokens are forgotten."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nija.domain.notifications import NotificationPrefs, PushMessage, notification_for
from nija.domain.realtime import UserEvent
from nija.ports.push import Devices, PushSender


@dataclass
class Notifier:
    devices: Devices
    prefs: Callable[[str], NotificationPrefs]
    sender: PushSender

    def notify(self, events: Iterable[UserEvent]) -> int:
        """Send what the events notify; returns how many messages went out."""
        wanted: dict[str, list[tuple[str, str, dict]]] = defaultdict(list)  # type: ignore[type-arg]
        choices: dict[str, NotificationPrefs] = {}
        for event in events:
            if event.user_id not in choices:
                choices[event.user_id] = self.prefs(event.user_id)
            note = notification_for(event.event, choices[event.user_id])
            if note is not None:
                wanted[event.user_id].append((note.title, note.body, {**note.data, "kind": note.kind}))
        messages: list[tuple[str, PushMessage]] = []
        for user_id, notes in wanted.items():
            for device in self.devices.list(user_id):
                messages += [(user_id, PushMessage(device.token, t, b, d)) for t, b, d in notes]
        if not messages:
            return 0
        outcomes = self.sender.send([m for _, m in messages])
        for (user_id, message), outcome in zip(messages, outcomes, strict=True):
            if outcome == "device_gone":
                self.devices.remove(user_id, message.to)
        return len(messages)
