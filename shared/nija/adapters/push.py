"""Push senders: Expo's push API (the cloud), and a recorder (the local stack, where nothing may
leave the machine: each message is appended to a JSON-lines file and logged)."""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from aws_lambda_powertools import Logger

from nija.domain.errors import ServiceUnavailable
from nija.domain.notifications import EXPO_BATCH, PushMessage
from nija.ports.push import Outcome

logger = Logger(child=True)

EXPO_URL = "https://exp.host/--/api/v2/push/send"


class ExpoPush:
    """POST /--/api/v2/push/send, 100 messages a request; each ticket says ok or error, and
    DeviceNotRegistered means the app was uninstalled or the token rotated."""

    def __init__(self, url: str = EXPO_URL, access_token: str | None = None, timeout_s: float = 5.0) -> None:
        self.url = url
        self.access_token = access_token
        self.timeout_s = timeout_s

    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(messages), EXPO_BATCH):
            outcomes += self._send(messages[start : start + EXPO_BATCH])
        return outcomes

    def _send(self, batch: Sequence[PushMessage]) -> list[Outcome]:
        body = json.dumps(
            [
                {"to": m.to, "title": m.title, "body": m.body, "data": m.data, "sound": "default"}
                for m in batch
            ]
        ).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.access_token:
            headers["Authorization"] = f"Bearer {self.access_token}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # noqa: S310
                tickets = json.loads(response.read())["data"]
        except (OSError, ValueError, KeyError) as exc:
            raise ServiceUnavailable(f"Expo's push service did not take the notifications: {exc}") from exc
        outcomes: list[Outcome] = []
        for ticket in tickets:
            if ticket.get("status") == "ok":
                outcomes.append("ok")
            elif (ticket.get("details") or {}).get("error") == "DeviceNotRegistered":
                outcomes.append("device_gone")
            else:
                logger.warning(
                    "a push was refused", extra={"error": (ticket.get("details") or {}).get("error")}
                )
                outcomes.append("error")
        return outcomes


class RecordedPush:
    """The local stack's sender: nothing is sent; every message is kept in `path` (JSON lines)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, messages: Sequence[PushMessage]) -> list[Outcome]:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                for m in messages:
                    out.write(
                        json.dumps({"to": m.to, "title": m.title, "body": m.body, "data": m.data}) + "\n"
                    )
        for m in messages:
            logger.info("push recorded", extra={"title": m.title})
        return ["ok"] * len(messages)
