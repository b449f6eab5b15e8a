"""The plan: every legacy user mapped onto a platform user (by address: emails.csv, else users.db),
with tier, status, the brokers that will be connected and with which keys, the settings that map,
and every item that will not arrive with its code. Reads the installation; changes nothing."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from nija.domain.errors import InvalidInput
from nija.domain.migration import USER_STEPS, Code, FileNote, GlobalNote, Item, NotMapped, Step, UserRow
from nija.domain.models import BrokerName, Tier, UserStatus
from nija.logic.migrate.accounts import PlannedBroker, evaluate, saas_notes
from nija.logic.migrate.env import LegacyEnv, parse_env
from nija.logic.migrate.sources import Declaration, Sources, read_files, read_saas, read_vault, valid_user_id
from nija.ports.legacy import LegacyInstall

EMAILS = "emails.csv"
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


@dataclass(frozen=True)
class PlannedUser:
    email: str
    email_source: str
    legacy_user_ids: tuple[str, ...]
    tier: Tier
    tier_source: str
    status: UserStatus
    brokers: tuple[PlannedBroker, ...]
    max_open_positions: int | None
    not_mapped: tuple[NotMapped, ...]
    sources: tuple[str, ...]

    def settings(self, brokers: tuple[BrokerName, ...] | None = None) -> dict[str, Any]:
        """The settings an import leaves: trading off, no symbols, the brokers connected."""
        chosen = self.brokers_named if brokers is None else brokers
        values: dict[str, Any] = {
            "strategy.enabled": False,
            "strategy.brokers": [b.value for b in chosen],
            "strategy.symbols": [],
        }
        if self.max_open_positions is not None:
            values["risk.max_open_positions"] = self.max_open_positions
        return values

    @property
    def brokers_named(self) -> tuple[BrokerName, ...]:
        return tuple(b.broker for b in self.brokers)

    def source_files(self) -> list[str]:
        """The legacy files this user came from (for the audit record: names, no content)."""
        files = {s.split(" ", 1)[0] if not s.startswith(".env") else ".env" for s in self.sources}
        return sorted(files)

    def row(self) -> UserRow:
        steps = dict.fromkeys(USER_STEPS, Step.TO_DO)
        steps["invitation"] = Step.WITHHELD if self.status is UserStatus.DISABLED else Step.TO_DO
        steps["status"] = Step.TO_DO if self.status is UserStatus.DISABLED else Step.NONE
        return UserRow(
            email=self.email,
            email_source=self.email_source,
            legacy_user_ids=list(self.legacy_user_ids),
            tier=self.tier,
            tier_source=self.tier_source,
            status=self.status,
            steps=steps,
            brokers=[b.row() for b in self.brokers],
            settings=self.settings(),
            not_mapped=list(self.not_mapped),
            sources=list(self.sources),
        )


@dataclass
class Plan:
    legacy_dir: str
    legacy_users: int
    users: list[PlannedUser]
    not_imported: list[Item]
    warnings: list[Item]
    globals: list[GlobalNote]
    files: list[FileNote]


@dataclass
class _Candidate:
    user_id: str
    email: str
    email_source: str
    tier: Tier
    tier_source: str
    status: UserStatus
    brokers: list[PlannedBroker] = field(default_factory=list)
    notes: list[NotMapped] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    max_positions: set[int] = field(default_factory=set)


def read_emails(text: str, sources: Sources) -> dict[str, tuple[str | None, str]]:
    """emails.csv (header `user_id,email`): legacy user id -> (address or None if unusable, where).
    InvalidInput when it is not such a file at all (the operator's input, not legacy's)."""
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = [c.strip().lower() for c in rows[0]] if rows else []
    if header != ["user_id", "email"]:
        raise InvalidInput(f"{EMAILS} must start with the header line user_id,email", field="emails")
    found: dict[str, tuple[str | None, str]] = {}
    for n, row in enumerate(rows[1:], start=2):
        where = f"{EMAILS} line {n}"
        if not any(c.strip() for c in row):
            continue
        if len(row) != 2:
            sources.skip(Code.SOURCE_INVALID, where, detail="not two columns: user_id,email")
            continue
        user_id, address = row[0].strip(), row[1].strip().lower()
        usable = address if _EMAIL.match(address) else None
        if user_id in found and found[user_id][0] != usable:
            sources.skip(
                Code.DUPLICATE_USER, where, user_id, detail=f"{found[user_id][1]} gives another address"
            )
            found[user_id] = (None, f"{found[user_id][1]} and {where} disagree")
            continue
        found.setdefault(user_id, (usable, where))
    return found


def build(install: LegacyInstall, emails_csv: str) -> Plan:
    sources = Sources()
    env_text = install.env_text()
    env = parse_env(env_text) if env_text is not None else {}
    status = f"read, names: {len(env)}" if env_text is not None else "absent"
    sources.files.append(FileNote(path=".env", kind="environment", status=status))
    read_files(install, sources)
    read_vault(install, env.get("VAULT_ENCRYPTION_KEY"), sources)
    read_saas(install, sources)
    emails = read_emails(emails_csv, sources)
    accounts: dict[tuple[str, str], list[Declaration]] = defaultdict(list)
    for decl in sources.declarations:
        accounts[(decl.user_id, decl.broker)].append(decl)
    legacy_env = LegacyEnv(env, accounts)
    user_ids = sorted(({u for u, _ in accounts} | set(sources.saas)) - sources.invalid_ids)
    candidates = [
        c for u in user_ids if (c := _candidate(u, accounts, sources, legacy_env, emails)) is not None
    ]
    users = _merge(candidates, sources)
    sources.not_imported += legacy_env.orphans()
    for user_id, (_, where) in sorted(emails.items()):
        if user_id not in user_ids and valid_user_id(user_id) and user_id not in sources.invalid_ids:
            sources.warnings.append(Item(code=Code.EMAIL_UNUSED, source=where, legacy_user_id=user_id))
    return Plan(
        legacy_dir=install.root,
        legacy_users=len(user_ids),
        users=sorted(users, key=lambda u: u.email),
        not_imported=_sorted(sources.not_imported),
        warnings=_sorted(sources.warnings),
        globals=legacy_env.notes(),
        files=sources.files,
    )


def _sorted(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: (i.source, i.legacy_user_id or "", i.broker or "", i.code.value))


def _candidate(
    user_id: str,
    accounts: dict[tuple[str, str], list[Declaration]],
    sources: Sources,
    env: LegacyEnv,
    emails: dict[str, tuple[str | None, str]],
) -> _Candidate | None:
    saas = sources.saas.get(user_id)
    mine = sorted((b, d) for (u, b), d in accounts.items() if u == user_id)
    outcomes = [evaluate(user_id, broker, decls, sources, env) for broker, decls in mine]
    for outcome in outcomes:
        sources.not_imported += outcome.not_imported
        sources.warnings += outcome.warnings
    first = mine[0][1][0].source if mine else (saas.source if saas else EMAILS)
    conflicts = [o.conflict for o in outcomes if o.conflict]
    if conflicts:
        sources.skip(Code.DUPLICATE_USER, first, user_id, detail="; ".join(conflicts))
        return None
    address, where = emails.get(user_id, (None, ""))
    if address is None and user_id not in emails and saas is not None and saas.email:
        address, where = saas.email, saas.source
    if address is None:
        detail = f"{where}: not an address" if where else f"no row in {EMAILS} and no address in users.db"
        sources.skip(Code.EMAIL_MISSING, first, user_id, detail=detail)
        return None
    importable = [o for o in outcomes if o.planned is not None]
    if not importable:
        sources.skip(Code.NO_IMPORTABLE_ACCOUNT, first, user_id, detail=f"{len(mine)} account(s) declared")
        return None
    candidate = _Candidate(
        user_id=user_id,
        email=address,
        email_source=where,
        tier=saas.tier if saas else Tier.BASIC,
        tier_source=saas.source if saas else "default",
        status=UserStatus.ACTIVE if saas is None or saas.enabled else UserStatus.DISABLED,
    )
    for outcome in importable:
        assert outcome.planned is not None
        candidate.brokers.append(outcome.planned)
        candidate.notes += outcome.notes
        candidate.sources += [*outcome.planned.declared_in, outcome.planned.source]
        if outcome.max_positions is not None:
            candidate.max_positions.add(outcome.max_positions)
    if saas is not None:
        candidate.notes += saas_notes(saas.columns, saas.source)
        candidate.sources.append(saas.source)
    if where.startswith(EMAILS):
        candidate.sources.append(where)
    return candidate


def _merge(candidates: list[_Candidate], sources: Sources) -> list[PlannedUser]:
    """One platform user per address. Legacy users the operator gave one address are one person
    when nothing of theirs disagrees (no broker twice, one tier, one status); else duplicate_user."""
    by_email: dict[str, list[_Candidate]] = defaultdict(list)
    for c in candidates:
        by_email[c.email].append(c)
    users = []
    for email, group in by_email.items():
        brokers = [b.broker for c in group for b in c.brokers]
        if len(group) > 1 and (
            len(set(brokers)) < len(brokers)
            or len({c.tier for c in group}) > 1
            or len({c.status for c in group}) > 1
        ):
            ids = ", ".join(c.user_id for c in group)
            for c in group:
                detail = f"legacy users {ids} share {email} and disagree (a broker twice, tier or status)"
                sources.skip(Code.DUPLICATE_USER, c.email_source, c.user_id, detail=detail)
            continue
        limits = {n for c in group for n in c.max_positions}
        notes = [n for c in group for n in c.notes]
        if len(limits) > 1:
            note = "several values for one user: the default is kept"
            notes.append(
                NotMapped(
                    field="position_limits.max_positions", source=email, value=str(sorted(limits)), note=note
                )
            )
        users.append(
            PlannedUser(
                email=email,
                email_source=", ".join(dict.fromkeys(c.email_source for c in group)),
                legacy_user_ids=tuple(c.user_id for c in group),
                tier=group[0].tier,
                tier_source=", ".join(dict.fromkeys(c.tier_source for c in group)),
                status=group[0].status,
                brokers=tuple(sorted((b for c in group for b in c.brokers), key=lambda b: b.broker.value)),
                max_open_positions=next(iter(limits)) if len(limits) == 1 else None,
                not_mapped=tuple(notes),
                sources=tuple(dict.fromkeys(s for c in group for s in c.sources)),
            )
        )
    return users
