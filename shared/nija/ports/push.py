"""The push port: notifications to users' devices, and the devices they registered."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from nija.domain.notifications import Device, PushMessage

Outcome = Literal["ok", "device_gone", "error"]


class PushSender(Protocol):
    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        """One outcome per message, in order; `device_gone` means the token is dead: forget it."""
        ...


class Devices(Protocol):
    def add(self, user_id: str, device: Device) -> bool:
        """Register (or refresh) a device; False when the user already has the most allowed."""
        ...

    def remove(self, user_id: str, token: str) -> bool: ...

    def list(self, user_id: str) -> list[Device]: ...

    def once(self, user_id: str, key: str) -> bool:
        """Claim a one-time key (a notification sent once a day): True the first time only."""
        ...
