"""The mail port: messages the platform itself sends to a person (an invitation to an imported
account). Cognito sends its own (sign-up codes, its invitations) on AWS; the local stack, where
nothing may leave the machine, records every message in an outbox file instead."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel


class Email(BaseModel):
    to: str
    subject: str
    body: str
    kind: str  # what it is for, e.g. "invitation"


class Mailer(Protocol):
    def send(self, message: Email) -> None: ...
