"""The local stack's mailer: nothing is sent; every message is appended to a JSON-lines outbox
file (as push notifications are to theirs, nija.adapters.push), where a person or a test reads it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from aws_lambda_powertools import Logger

from nija.domain.models import utcnow
from nija.ports.mail import Email

logger = Logger(child=True)


class RecordedMail:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def send(self, message: Email) -> None:
        line = json.dumps({**message.model_dump(), "at": utcnow().isoformat()})
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(line + "\n")
        logger.info("email recorded", extra={"kind": message.kind})  # never its text: it may hold a code
