"""Moving a legacy NIJA bot installation onto the platform (`nija migrate`): the reason codes, the
steps each user goes through, and the report a plan or an apply makes. Pure data.

The report never holds a secret: a broker key appears masked (its last 4 characters, as the
platform's own key metadata shows it), a secret not at all. What the legacy files say and where it
lands is described in ../shared/legacy-nija-formats.md (section I: the mapping; section J: the codes).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, Field

from nija.domain.models import BrokerName, Tier, UserStatus

REPORT_FORMAT = "nija-migrate/1"
MIGRATED = "account.migrated"  # the audit action every imported user's chain receives, once
OPERATOR = "operator"  # the actor of what an import does (an operator's command, not the user)
_EVENT_IDS = uuid.UUID("6f1c0d3e-5a7b-4c2e-9f10-4e1a7c9b2d55")


class Code(StrEnum):
    """Why something the legacy installation holds does not arrive, or arrives with a warning."""

    # section J of the legacy formats: per user
    INVALID_USER_ID = "invalid_user_id"
    DUPLICATE_USER = "duplicate_user"
    SOURCE_INVALID = "source_invalid"
    EMAIL_MISSING = "email_missing"
    NO_IMPORTABLE_ACCOUNT = "no_importable_account"
    # per account
    ACCOUNT_DISABLED = "account_disabled"
    CREDENTIALS_MISSING = "credentials_missing"
    PLACEHOLDER_CREDENTIALS = "placeholder_credentials"
    UNSUPPORTED_BROKER = "unsupported_broker"
    DECRYPT_FAILED = "decrypt_failed"
    # per file
    INVALID_JSON = "invalid_json"
    NOT_AN_ARRAY = "not_an_array"
    INVALID_YAML = "invalid_yaml"
    # environment
    ORPHAN_CREDENTIALS = "orphan_credentials"
    ENV_NAME_COLLISION = "env_name_collision"
    # beyond section J: what the files cannot tell, and what the platform answers when applying
    FILE_NOT_READ = "file_not_read"
    SUPERSEDED = "superseded"
    EMAIL_UNUSED = "email_unused"
    ACCOUNT_EXISTS = "account_exists"
    CREDENTIALS_REJECTED = "credentials_rejected"
    WITHDRAWAL_PERMISSION = "withdrawal_permission"
    BROKER_UNREACHABLE = "broker_unreachable"


MEANING: dict[Code, str] = {
    Code.INVALID_USER_ID: "the user_id is empty, not text, or has characters other than letters, digits, _ - .",
    Code.DUPLICATE_USER: "the same user, or one address, appears twice with different values: not guessed",
    Code.SOURCE_INVALID: "an entry, file or row lacks a required field or has a value of the wrong kind",
    Code.EMAIL_MISSING: "no address in emails.csv nor in users.db (or not an address): not imported",
    Code.NO_IMPORTABLE_ACCOUNT: "none of the user's accounts can be imported: the user is not created",
    Code.ACCOUNT_DISABLED: "the account is disabled in the legacy files (enabled: false): not connected",
    Code.CREDENTIALS_MISSING: "no key and secret for the account in vault.db, .env or its YAML file",
    Code.PLACEHOLDER_CREDENTIALS: "the only keys found are template placeholders (YOUR_API_KEY_HERE, ...)",
    Code.UNSUPPORTED_BROKER: "the platform has no such broker (okx, or any other name): not connected",
    Code.DECRYPT_FAILED: "a vault.db row does not open with VAULT_ENCRYPTION_KEY (or there is no key)",
    Code.INVALID_JSON: "the file is not valid JSON: legacy dropped all of it too",
    Code.NOT_AN_ARRAY: "an account list is not a JSON array: legacy dropped all of it too",
    Code.INVALID_YAML: "the file is not valid YAML",
    Code.ORPHAN_CREDENTIALS: "per-user keys in .env that name no legacy user (or an alias): never traded",
    Code.ENV_NAME_COLLISION: "two users share a first name, so first-name keys cannot be attributed",
    Code.FILE_NOT_READ: "a file legacy never opened (another list name, .yml): its content is not imported",
    Code.SUPERSEDED: "keys for an account found in a lower source (vault.db > .env > YAML): not used",
    Code.EMAIL_UNUSED: "an emails.csv row names no legacy user",
    Code.ACCOUNT_EXISTS: "the address already has a platform account this import did not make: untouched",
    Code.CREDENTIALS_REJECTED: "the broker refused the keys: not stored (the user connects new ones)",
    Code.WITHDRAWAL_PERMISSION: "the keys may withdraw funds: refused as the API refuses them",
    Code.BROKER_UNREACHABLE: "the broker could not be reached to check the keys: not stored; run apply again",
}


class Step(StrEnum):
    TO_DO = "to_do"  # a plan: this would be done
    DONE = "done"  # it was there before this run
    MADE = "made"  # this run did it
    PENDING = "pending"  # tried and not done (code and detail say why): a later apply tries again
    REFUSED = "refused"  # tried and refused for good (code and detail say why): not tried again
    WITHHELD = "withheld"  # an invitation not sent: the account is disabled
    NONE = "none"  # nothing to do for this user
    SKIPPED = "skipped"  # not touched (the account is not this import's, or not retried)

    @property
    def open(self) -> bool:
        """Still to be done by an apply."""
        return self in (Step.TO_DO, Step.PENDING)


USER_STEPS = ("directory_user", "invitation", "profile", "settings", "status", "record")


def migrated_event_id(user_id: str) -> str:
    """The id of a user's account.migrated event: one per user, whoever appends it and how often."""
    return uuid.uuid5(_EVENT_IDS, f"{MIGRATED}:{user_id}").hex


class Item(BaseModel):
    """Something legacy holds that does not arrive (not_imported) or arrives with a caveat (warnings)."""

    code: Code
    source: str  # where: a file (and entry), a .env name, a vault.db or users.db row
    legacy_user_id: str | None = None
    broker: str | None = None
    detail: str = ""


class NotMapped(BaseModel):
    """A legacy field of an imported user with no equivalent on the platform (section I)."""

    field: str
    source: str
    value: str | None = None  # shown when it is not a secret or a hash
    note: str


class BrokerRow(BaseModel):
    broker: BrokerName
    credential_source: str
    masked_key: str
    paper: bool | None = None
    declared_in: list[str]
    step: Step = Step.TO_DO
    code: Code | None = None
    detail: str | None = None


class UserRow(BaseModel):
    email: str
    email_source: str
    legacy_user_ids: list[str]
    user_id: str | None = None  # the platform's id, once the directory user exists
    tier: Tier
    tier_source: str
    status: UserStatus
    state: Literal["new", "resume", "migrated", "account_exists", "error"] = "new"
    steps: dict[str, Step]
    brokers: list[BrokerRow]
    settings: dict[str, Any]
    not_mapped: list[NotMapped] = Field(default_factory=list)
    sources: list[str]
    error: str | None = None

    def open_steps(self) -> int:
        return sum(s.open for s in self.steps.values()) + sum(b.step.open for b in self.brokers)


class GlobalNote(BaseModel):
    name: str
    value: str | None = None  # never a key or a secret: those show as None
    note: str


class FileNote(BaseModel):
    path: str
    kind: str
    status: str


class Target(BaseModel):
    stage: str | None = None  # None: the plan looked at the legacy files only
    checked: bool = False  # whether each user was looked up at the stage
    invitations: str = ""


class Summary(BaseModel):
    legacy_users: int
    users: int
    brokers: int
    to_do: int  # steps still open: 0 once an apply has done everything it can
    made: int = 0
    pending: int = 0
    refused: int = 0
    not_imported: dict[str, int]
    warnings: dict[str, int]


class Report(BaseModel):
    report: str = REPORT_FORMAT
    mode: Literal["plan", "apply"]
    legacy_dir: str
    target: Target
    summary: Summary
    users: list[UserRow]
    not_imported: list[Item]
    warnings: list[Item]
    globals: list[GlobalNote]
    files: list[FileNote]


def count_codes(items: list[Item]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in items:
        counts[item.code.value] = counts.get(item.code.value, 0) + 1
    return dict(sorted(counts.items()))
