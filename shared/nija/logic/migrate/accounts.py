"""One legacy account, (user_id, broker), from every source that declares it: whether it can be
imported, with which keys (vault.db row, else .env, else the YAML file: section J), and which of
its fields have no equivalent on the platform (section I)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from nija.domain.credentials import BrokerCredentials, mask, parse_credentials
from nija.domain.errors import InvalidInput
from nija.domain.migration import BrokerRow, Code, Item, NotMapped
from nija.domain.models import BrokerName
from nija.domain.risk import MAX_OPEN_POSITIONS
from nija.logic.migrate.env import LegacyEnv, placeholder
from nija.logic.migrate.sources import Declaration, Sources

SUPPORTED = frozenset({BrokerName.KRAKEN, BrokerName.ALPACA, BrokerName.COINBASE, BrokerName.BINANCE})
# Fields with no equivalent, by name: what the report says of them (shown when not the default).
NO_EQUIVALENT: dict[str, tuple[object, str]] = {
    "name": (None, "display name: no equivalent"),
    "account_type": (None, "retail or investor: no equivalent"),
    "description": ("", "free text: no equivalent"),
    "role": ("user", "informative: no equivalent"),
    "copy_from_platform": (False, "copy trading was removed: no equivalent"),
    "copy_from_master": (False, "copy trading was removed: no equivalent"),
    "independent_trading": (True, "every account runs on its own: no equivalent"),
    "active_trading": (
        True,
        "exit-only (recovery): a user kill switch in reducing mode would match; not engaged",
    ),
    "disabled_symbols": ([], "a blocklist: no equivalent (strategy.symbols is an allowlist)"),
    "risk_multiplier": (1.0, "scaled position sizes: no equivalent (positions are shares of equity)"),
    "user_id": (None, "ignored, as legacy did: the file name gives the user id"),
}
MODES = {
    "normal": None,
    "recovery": "exit-only: a user kill switch in reducing mode would match; not engaged",
    "paused": "all halted: a user kill switch in halted mode would match; not engaged",
}
SAAS_COLUMNS = {
    "password_hash": "an Argon2 hash cannot enter Cognito: the user chooses a password through the invitation",
    "email_verified": "no equivalent: an invited address counts as verified",
    "tos_accepted_at": "no equivalent",
    "tos_version": "no equivalent",
    "last_login": "no equivalent",
}


@dataclass(frozen=True)
class PlannedBroker:
    broker: BrokerName
    credentials: BrokerCredentials  # secrets are SecretStr: shown as ********** anywhere by mistake
    source: str
    declared_in: tuple[str, ...]

    def row(self) -> BrokerRow:
        return BrokerRow(
            broker=self.broker,
            credential_source=self.source,
            masked_key=mask(self.credentials.key_id),
            paper=getattr(self.credentials, "paper", None),
            declared_in=list(self.declared_in),
        )


@dataclass
class Outcome:
    """What one account of a legacy user comes to."""

    planned: PlannedBroker | None = None
    conflict: str | None = None  # two list entries disagree: the user is a duplicate_user
    not_imported: list[Item] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)
    notes: list[NotMapped] = field(default_factory=list)
    max_positions: int | None = None

    def skip(self, code: Code, source: str, user_id: str, broker: str, detail: str = "") -> Outcome:
        self.not_imported.append(
            Item(code=code, source=source, legacy_user_id=user_id, broker=broker, detail=detail)
        )
        return self


def _shown(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:79] + "…"


def _conflict(lists: list[Declaration]) -> str | None:
    """Two list entries for one account that differ (beyond the file they are in): not guessed."""
    seen = {
        json.dumps({**d.values, "account_type": None, "enabled": d.enabled}, sort_keys=True) for d in lists
    }
    if len(seen) > 1:
        return f"{' and '.join(d.source for d in lists)} differ"
    return None


def evaluate(
    user_id: str, broker: str, decls: list[Declaration], sources: Sources, env: LegacyEnv
) -> Outcome:
    out = Outcome()
    lists = [d for d in decls if d.kind == "list"]
    if (conflict := _conflict(lists)) is not None:
        out.conflict = conflict
        return out
    first = decls[0].source

    def skip(code: Code, detail: str = "") -> Outcome:
        return out.skip(code, first, user_id, broker, detail)

    enabled = next((d.enabled for d in decls if d.enabled is not None), True)
    if broker not in {b.value for b in SUPPORTED}:
        return skip(Code.UNSUPPORTED_BROKER, f"the platform has no {broker!r} broker")
    if not enabled:
        return skip(Code.ACCOUNT_DISABLED, "enabled: false")
    found, placeholders = _credentials(user_id, BrokerName(broker), sources, env, out)
    if not found:
        return skip(Code.PLACEHOLDER_CREDENTIALS if placeholders else Code.CREDENTIALS_MISSING)
    credentials, source = found[0]
    for _, other in found[1:]:
        detail = f"the keys in {source} are imported"
        out.warnings.append(
            Item(code=Code.SUPERSEDED, source=other, legacy_user_id=user_id, broker=broker, detail=detail)
        )
    declared = tuple(d.source for d in decls)
    out.planned = PlannedBroker(BrokerName(broker), credentials, source, declared)
    for decl in decls:
        _notes(decl, out)
    return out


def _fields(broker: BrokerName, key: object, secret: str, paper: object) -> dict[str, object]:
    if broker is BrokerName.ALPACA:
        return {"key_id": key, "secret_key": secret, "paper": True if paper is None else paper}
    if broker is BrokerName.COINBASE:
        return {"api_key_name": key, "private_key": secret.replace("\\n", "\n")}
    return {"api_key": key, "api_secret": secret}


def _credentials(
    user_id: str, broker: BrokerName, sources: Sources, env: LegacyEnv, out: Outcome
) -> tuple[list[tuple[BrokerCredentials, str]], bool]:
    """Every source's usable keys for the account, best first (vault.db, .env, YAML), and whether
    placeholders were all some source had."""
    offered: list[tuple[str, object, str | None, object]] = []  # source, key, secret, paper
    placeholders = False
    row = sources.vault.get((user_id, broker.value))
    if row is not None:
        source = f"vault.db credentials row {row.row}"
        if row.failure:
            out.skip(Code.DECRYPT_FAILED, source, user_id, broker.value, row.failure)
        else:
            secret = row.api_secret.get_secret_value() if row.api_secret else None
            key = row.api_key.get_secret_value() if row.api_key else None
            offered.append((source, key, secret, row.paper))
    looked = env.lookup(user_id, broker.value)
    out.not_imported += looked.not_imported
    out.warnings += looked.warnings
    placeholders |= looked.placeholder
    if looked.found is not None:
        found = looked.found
        offered.append((found.source, found.key, found.secret.get_secret_value(), found.paper))
    keys = sources.yaml_keys.get((user_id, broker.value))
    if keys is not None:
        offered.append((keys.source, keys.key, keys.secret.get_secret_value() if keys.secret else None, None))
    usable: list[tuple[BrokerCredentials, str]] = []
    for source, key, secret, paper in offered:
        if placeholder(key if isinstance(key, str) else None) or placeholder(secret):
            placeholders = True
            continue
        if not key or not secret:
            continue
        if paper is not None and not isinstance(paper, bool):
            out.skip(
                Code.SOURCE_INVALID, source, user_id, broker.value, "its paper flag is not true or false"
            )
            continue
        try:
            usable.append((parse_credentials(broker, _fields(broker, key, secret, paper)), source))
        except InvalidInput as exc:  # its message names the field, never the value
            out.skip(Code.SOURCE_INVALID, source, user_id, broker.value, exc.message)
    return usable, placeholders


def _notes(decl: Declaration, out: Outcome) -> None:
    for name, value in decl.values.items():
        if name == "mode":
            if value in MODES and MODES[value] is None:
                continue
            note = MODES.get(value) or "conservative/moderate/aggressive sizing: no equivalent"
            out.notes.append(NotMapped(field="mode", source=decl.source, value=_shown(value), note=note))
        elif name == "position_limits":
            _limits(decl, value or {}, out)
        elif name.startswith("_"):
            out.notes.append(
                NotMapped(
                    field=name, source=decl.source, value=_shown(value), note="operator note: no equivalent"
                )
            )
        elif name in NO_EQUIVALENT:
            default, note = NO_EQUIVALENT[name]
            if value != default and value is not None:
                out.notes.append(NotMapped(field=name, source=decl.source, value=_shown(value), note=note))
        else:
            note = "not a field legacy reads: ignored by legacy too"
            out.notes.append(NotMapped(field=name, source=decl.source, value=_shown(value), note=note))


def _limits(decl: Declaration, limits: dict[str, Any], out: Outcome) -> None:
    for name, value in limits.items():
        if value is None:
            continue
        where = f"position_limits.{name}"
        if name == "max_positions" and 1 <= value <= MAX_OPEN_POSITIONS:
            out.max_positions = value
        elif name == "max_positions":
            note = f"outside risk.max_open_positions' 1-{MAX_OPEN_POSITIONS}: the default is kept"
            out.notes.append(NotMapped(field=where, source=decl.source, value=_shown(value), note=note))
        else:
            out.notes.append(
                NotMapped(field=where, source=decl.source, value=_shown(value), note="no equivalent")
            )


def saas_notes(columns: tuple[str, ...], source: str) -> list[NotMapped]:
    return [NotMapped(field=c, source=source, note=why) for c, why in SAAS_COLUMNS.items() if c in columns]
