"""A plan looked up at a stage (survey: reads only) or carried out there (apply), one user at a time.

Each user goes: directory user with an invitation → profile in its tier → broker keys through the
vault (validated with the broker, sealed, audited: the API's own path) → settings (trading off) →
status → `account.migrated` in the user's audit chain, last and once. Every step first looks at
what is there, so a second run changes nothing and a run stopped half-way resumes where it stopped.
A user whose account.migrated is recorded is done for good: keys they removed since are not brought
back; only keys a broker could not check then (named in the record as pending) are tried again. An
address whose account was not made by an import, or that was used before its record, is not touched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal, Protocol

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import AccountInactive, BrokerError, Conflict, InvalidInput, NijaError
from nija.domain.migration import (
    MIGRATED,
    OPERATOR,
    BrokerRow,
    Code,
    Report,
    Step,
    Target,
    UserRow,
    migrated_event_id,
)
from nija.domain.models import BrokerName, UserStatus
from nija.domain.passwords import temporary_password
from nija.domain.risk import UserRiskSettings
from nija.domain.settings import StrategySettings
from nija.logic.accounts import Accounts
from nija.logic.migrate.accounts import PlannedBroker
from nija.logic.migrate.plan import PlannedUser, build
from nija.logic.migrate.report import build_report
from nija.logic.settings import SettingsService, UserSettings
from nija.logic.vault import VaultService
from nija.ports.identity import IdentityProvider
from nija.ports.legacy import LegacyInstall
from nija.ports.mail import Email, Mailer

log = logging.getLogger(__name__)
NOT_RETRIED = "not connected now (refused when imported, or removed since): an import does not retry it"


def migrate(
    mode: Literal["plan", "apply"],
    install: LegacyInstall,
    emails_csv: str,
    migrator: Migrator | None,
    target: Target,
    workers: int = 8,
    on_done: Callable[[UserRow], None] | None = None,
) -> Report:
    """Plan the installation, then look each user up at the stage (plan) or create them (apply);
    without a migrator, a plan of the legacy files alone."""
    plan = build(install, emails_csv)
    if migrator is None:
        if mode == "apply":
            raise ValueError("an apply needs a stage")
        rows = [u.row() for u in plan.users]
    else:
        work = migrator.apply if mode == "apply" else migrator.survey
        rows = migrator.each(plan.users, work, workers, on_done)
    return build_report(plan, rows, mode, target)


class Ledger(Protocol):
    """The audit chains, where each imported user's account.migrated goes once."""

    def appended(self, event_id: str) -> AuditEvent | None: ...

    def append_once(self, event: AuditEvent) -> object: ...


@dataclass
class Migrator:
    directory: IdentityProvider
    accounts: Accounts
    vault: VaultService
    settings: SettingsService
    ledger: Ledger
    mailer: Mailer | None  # None: the directory (Cognito) emails its own invitations

    # --- both -----------------------------------------------------------------------------------

    def each(
        self,
        users: list[PlannedUser],
        work: Callable[[PlannedUser, UserRow], None],
        workers: int,
        on_done: Callable[[UserRow], None] | None = None,
    ) -> list[UserRow]:
        """`work` for every user, `workers` at a time (users are independent), rows in plan order.
        A user that fails keeps the steps done so far, with its error; the others go on."""

        def one(user: PlannedUser) -> UserRow:
            row = user.row()
            _guarded(user, row, work)
            if on_done is not None:
                on_done(row)
            return row

        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        try:
            futures = [pool.submit(one, user) for user in users]
            return [f.result() for f in futures]
        finally:  # stopped (Ctrl-C): the users under way finish, the others do not start
            pool.shutdown(wait=True, cancel_futures=True)

    def _known(self, user: PlannedUser, row: UserRow) -> bool:
        """Fill `row` for an address the directory knows; True when nothing more is to be done."""
        found = self.directory.find(user.email)
        if found is None:
            return False
        row.user_id = found.user_id
        row.steps["directory_user"] = Step.DONE
        if row.steps["invitation"] is Step.TO_DO:
            row.steps["invitation"] = Step.DONE
        recorded = self.ledger.appended(migrated_event_id(found.user_id))
        if recorded is None and not found.never_signed_in:
            row.state = "account_exists"
            row.steps = dict.fromkeys(row.steps, Step.SKIPPED)
            for b in row.brokers:
                b.step = Step.SKIPPED
            return True
        if recorded is None:
            row.state = "resume"
            return False
        # Imported: done, but for keys a broker could not check then (their names are in the record).
        retry = set(recorded.details.get("pending", "").split(","))
        connected = {m.broker for m in self.vault.list(found.user_id)}
        row.settings = user.settings(tuple(b for b in user.brokers_named if b in connected))
        for step in ("profile", "settings", "record"):
            row.steps[step] = Step.DONE
        if row.steps["status"] is Step.TO_DO:
            row.steps["status"] = Step.DONE
        for b in row.brokers:
            if b.broker in connected:
                b.step = Step.DONE
            elif b.broker.value in retry:
                b.step, b.detail = Step.TO_DO, "the broker could not check these keys when imported"
            else:
                b.step, b.detail = Step.SKIPPED, NOT_RETRIED
        if any(b.step is Step.TO_DO for b in row.brokers):
            row.state, row.steps["settings"] = "resume", Step.TO_DO
            return False
        row.state = "migrated"
        return True

    # --- survey: a plan at the stage, reads only -------------------------------------------------

    def survey(self, user: PlannedUser, row: UserRow) -> None:
        if self._known(user, row) or row.user_id is None:
            return
        profile = self.accounts.users.get_user(row.user_id)
        if profile is None:
            return
        row.steps["profile"] = Step.DONE
        connected = {m.broker for m in self.vault.list(row.user_id)}
        for b in row.brokers:
            if b.step is not Step.SKIPPED:
                b.step = Step.DONE if b.broker in connected else Step.TO_DO
        brokers = tuple(b for b in user.brokers_named if b in connected)
        current, desired = self.settings.get(row.user_id), _desired(user, brokers)
        if brokers == user.brokers_named:
            row.steps["settings"] = _settings_step(current, desired, Step.TO_DO)
        if user.status is UserStatus.DISABLED and profile.status is UserStatus.DISABLED:
            row.steps["status"] = Step.DONE

    # --- apply ------------------------------------------------------------------------------------

    def apply(self, user: PlannedUser, row: UserRow) -> None:
        if self._known(user, row):
            return
        fresh = row.user_id is None  # a directory user made now: nothing of theirs exists to look up
        user_id = row.user_id or self._invite(user, row)
        profile = None if fresh else self.accounts.users.get_user(user_id)
        row.steps["profile"] = Step.DONE if profile else Step.MADE
        profile = profile or self.accounts.provision(user_id, user.email, user.tier, new=fresh)
        connected = set() if fresh else {m.broker for m in self.vault.list(user_id)}
        for planned, b in zip(user.brokers, row.brokers, strict=True):
            if b.step is Step.SKIPPED:
                continue  # refused when imported, or removed since: not tried again
            if planned.broker in connected:
                b.step = Step.DONE
            elif self._connect(user_id, planned, b):
                connected.add(planned.broker)
        brokers = tuple(b for b in user.brokers_named if b in connected)
        row.settings = user.settings(brokers)
        current = UserSettings() if fresh else self.settings.get(user_id)
        desired = _desired(user, brokers)
        row.steps["settings"] = _settings_step(current, desired, Step.MADE)
        if row.steps["settings"] is Step.MADE:
            self.settings.put(user_id, desired, actor=OPERATOR, old=current)
        if user.status is UserStatus.DISABLED:
            row.steps["status"] = Step.DONE if profile.status is UserStatus.DISABLED else Step.MADE
            if row.steps["status"] is Step.MADE:
                self.accounts.set_status(OPERATOR, user_id, UserStatus.DISABLED)
        if row.steps["record"] is Step.DONE:
            return
        pending = ",".join(b.broker.value for b in row.brokers if b.step is Step.PENDING)
        event = AuditEvent(
            action=MIGRATED,
            outcome=Outcome.SUCCESS,
            subject=user_id,
            actor=OPERATOR,
            event_id=migrated_event_id(user_id),
            details={
                "legacy_user_id": ",".join(user.legacy_user_ids),
                "sources": ",".join(user.source_files()),
                "brokers": ",".join(b.value for b in brokers),
                "tier": user.tier.value,
                "status": user.status.value,
            }
            | ({"pending": pending} if pending else {}),  # a later apply tries these again
        )
        row.steps["record"] = Step.MADE if self.ledger.append_once(event) is not None else Step.DONE

    def _invite(self, user: PlannedUser, row: UserRow) -> str:
        """The directory user. An active user is invited: by the directory itself (Cognito's email),
        or through the mailer (the local stack's outbox) with a temporary password made here; the
        message goes first, so a run stopped between the two still left one. A disabled user is
        not invited (an admin who enables them resends the invitation)."""
        disabled = user.status is UserStatus.DISABLED
        temporary = temporary_password() if disabled or self.mailer is not None else None
        if self.mailer is not None and temporary is not None and not disabled:
            self.mailer.send(invitation(user, temporary))
        row.user_id = self.directory.invite(user.email, temporary)
        row.steps["directory_user"] = Step.MADE
        row.steps["invitation"] = Step.WITHHELD if disabled else Step.MADE
        return row.user_id

    def _connect(self, user_id: str, planned: PlannedBroker, b: BrokerRow) -> bool:
        """The keys through the vault as PUT /v1/brokers/{broker}/credentials stores them."""
        fields = {k: v for k, v in planned.credentials.secret_fields().items() if k != "broker"}
        try:
            self.vault.connect(user_id, planned.broker, fields)
        except InvalidInput as exc:
            known = {c.value for c in (Code.CREDENTIALS_REJECTED, Code.WITHDRAWAL_PERMISSION)}
            b.step, b.code = Step.REFUSED, Code(exc.code) if exc.code in known else Code.SOURCE_INVALID
            b.detail = exc.message
            return False
        except BrokerError as exc:
            b.step = Step.PENDING if exc.retryable else Step.REFUSED
            b.code = Code.BROKER_UNREACHABLE if exc.retryable else Code.CREDENTIALS_REJECTED
            b.detail = exc.message
            return False
        except (Conflict, AccountInactive) as exc:
            b.step, b.detail = Step.PENDING, exc.message
            return False
        b.step = Step.MADE
        return True


def _desired(user: PlannedUser, brokers: tuple[BrokerName, ...]) -> UserSettings:
    risk = UserRiskSettings()
    if user.max_open_positions is not None:
        risk = risk.model_copy(update={"max_open_positions": user.max_open_positions})
    return UserSettings(strategy=StrategySettings(brokers=brokers), risk=risk)


def _settings_step(current: UserSettings, desired: UserSettings, to_write: Step) -> Step:
    """DONE when they are as an import leaves them; `to_write` when nobody changed them since an
    import (or ever); SKIPPED when the user did: theirs are kept."""
    if current == desired:
        return Step.DONE
    fewer = set(current.strategy.brokers) <= set(desired.strategy.brokers)
    same = current.model_copy(
        update={"strategy": current.strategy.model_copy(update={"brokers": desired.strategy.brokers})}
    )
    return to_write if current == UserSettings() or (fewer and same == desired) else Step.SKIPPED


def _guarded(user: PlannedUser, row: UserRow, work: Callable[[PlannedUser, UserRow], None]) -> None:
    try:
        work(user, row)
    except NijaError as exc:
        row.state, row.error = "error", f"{exc.code}: {exc.message}"
    except Exception as exc:  # a bug or an AWS answer nobody maps: the user stays to do, the run goes on
        log.warning("migrating a user failed: %s", type(exc).__name__)
        row.state, row.error = "error", f"unexpected {type(exc).__name__}"


def invitation(user: PlannedUser, temporary: str) -> Email:
    brokers = ", ".join(f"{b.broker.value} ({b.row().masked_key})" for b in user.brokers)
    body = (
        "Hello,\n\n"
        "Your NIJA trading account has moved to the new NIJA platform "
        f"(your former account: {', '.join(user.legacy_user_ids)}).\n\n"
        f"Sign in with this address: {user.email}\n"
        f"Temporary password: {temporary}\n"
        "At the first sign-in you choose a password of your own; the temporary one expires in 7 days.\n\n"
        f"Your broker keys come with your account: {brokers}; Brokers in the app shows which are\n"
        "connected (connect again any your broker refused).\n"
        "Trading is OFF: nothing is traded for you until you choose symbols and turn the strategy on\n"
        "in Settings. Your former sizing and symbol choices have no exact equivalent; check them there.\n"
    )
    return Email(
        to=user.email,
        subject="Your NIJA account has moved: choose your password",
        body=body,
        kind="invitation",
    )
