"""The legacy installation's files read into declarations: account lists (A), per-user settings (B),
per-user YAML keys (C), vault.db rows (E2) and users.db rows (F). Each entry, file and row read is
either kept or listed with its code; nothing is dropped silently and nothing is guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from nija.domain.migration import Code, FileNote, Item
from nija.domain.models import Tier
from nija.ports.legacy import LegacyFile, LegacyInstall, SaasRow, Unreadable, VaultRow

USERS_DIR = "config/users"
# The six account lists legacy reads, in the order it reads them.
LIST_FILES = tuple(f"{t}_{b}.json" for t in ("retail", "investor") for b in ("kraken", "alpaca", "coinbase"))
_USER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")
_OTHER_LIST = re.compile(r"^((retail|investor)_[a-z0-9]+|[a-z0-9]+_users)$")
Kind = Literal["list", "settings", "yaml", "vault"]
M = TypeVar("M", bound=BaseModel)


def valid_user_id(user_id: object) -> bool:
    return isinstance(user_id, str) and bool(_USER_ID.match(user_id))


@dataclass(frozen=True)
class Declaration:
    """One account, (user_id, broker), as one legacy source declares it."""

    user_id: str
    broker: str
    source: str
    kind: Kind
    enabled: bool | None
    values: dict[str, Any] = field(default_factory=dict)  # its fields beside the keys, as read


@dataclass(frozen=True)
class YamlKeys:
    source: str
    key: object
    secret: SecretStr | None


@dataclass(frozen=True)
class SaasUser:
    user_id: str
    email: str | None
    tier: Tier
    enabled: bool
    source: str
    columns: tuple[str, ...]


@dataclass
class Sources:
    declarations: list[Declaration] = field(default_factory=list)
    yaml_keys: dict[tuple[str, str], YamlKeys] = field(default_factory=dict)
    vault: dict[tuple[str, str], VaultRow] = field(default_factory=dict)
    saas: dict[str, SaasUser] = field(default_factory=dict)
    not_imported: list[Item] = field(default_factory=list)
    warnings: list[Item] = field(default_factory=list)
    files: list[FileNote] = field(default_factory=list)
    invalid_ids: set[str] = field(default_factory=set)

    def skip(
        self, code: Code, source: str, user: str | None = None, broker: str | None = None, detail: str = ""
    ) -> None:
        self.not_imported.append(
            Item(code=code, source=source, legacy_user_id=user, broker=broker, detail=detail)
        )

    def check_id(self, user_id: object, source: str) -> bool:
        if valid_user_id(user_id):
            return True
        shown = user_id if isinstance(user_id, str) else None
        if isinstance(user_id, str):
            self.invalid_ids.add(user_id)
        self.skip(Code.INVALID_USER_ID, source, shown, detail=f"user_id {json.dumps(user_id)[:60]}")
        return False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class ListEntry(_Strict):
    user_id: str
    name: str
    account_type: str
    broker_type: str
    enabled: bool = True
    description: str = ""
    copy_from_platform: bool | None = None
    copy_from_master: bool | None = None
    independent_trading: bool = True
    active_trading: bool = True
    disabled_symbols: list[str] = []


class PositionLimits(_Strict):
    max_positions: int | None = None
    dust_threshold_usd: float | None = None
    auto_enforce: bool | None = None
    include_existing_holdings: bool | None = None


class SettingsFile(_Strict):
    name: str
    broker: str
    role: str = "user"
    enabled: bool = True
    independent_trading: bool = True
    active_trading: bool = True
    disabled_symbols: list[str] = []
    copy_from_platform: bool = False
    risk_multiplier: float = 1.0
    mode: str = "normal"
    user_id: str | None = None
    position_limits: PositionLimits | None = None


class YamlFile(_Strict):
    broker: str
    api_key: str | None = None
    api_secret: str | None = None
    enabled: bool = True
    copy_from_platform: bool = False
    risk_multiplier: float = 1.0
    independent_trading: bool = True


def _why(exc: ValidationError) -> str:
    """The first problem, named by field and kind: never the value (it may be a key)."""
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "the value"
    return f"{where}: {first['type'].replace('_', ' ')}"


def _values(model: BaseModel, skip: set[str]) -> dict[str, Any]:
    dumped = model.model_dump(exclude_unset=True)
    return {k: v for k, v in dumped.items() if k not in skip}


def read_files(install: LegacyInstall, sources: Sources) -> None:
    files = {f.path.rsplit("/", 1)[-1]: f for f in install.user_files()}
    for name in LIST_FILES:
        if name not in files:
            sources.files.append(FileNote(path=f"{USERS_DIR}/{name}", kind="account_list", status="absent"))
    for name in [n for n in LIST_FILES if n in files] + sorted(set(files) - set(LIST_FILES)):
        _read_file(files[name], name, sources)


def _read_file(file: LegacyFile, name: str, sources: Sources) -> None:
    stem, _, suffix = name.rpartition(".")
    if file.text is None:
        sources.files.append(FileNote(path=file.path, kind="unknown", status=f"unreadable ({file.failure})"))
        if suffix in ("json", "yaml"):
            sources.skip(Code.SOURCE_INVALID, file.path, detail="not UTF-8 text")
        return
    if name in LIST_FILES:
        _read_list(file.path, stem, file.text, sources)
    elif suffix == "json":
        _read_json(file.path, stem, file.text, sources)
    elif suffix == "yaml":
        _read_yaml(file.path, stem, file.text, sources)
    elif suffix == "yml":
        sources.files.append(FileNote(path=file.path, kind="user_keys", status="not read by legacy"))
        sources.skip(Code.FILE_NOT_READ, file.path, detail="legacy reads <user_id>.yaml only, never .yml")
    elif name == "user.yaml.example":
        sources.files.append(FileNote(path=file.path, kind="template", status="template: never a user"))
    else:
        sources.files.append(FileNote(path=file.path, kind="other", status="not a legacy source"))


def _parse_json(path: str, text: str, kind: str, sources: Sources) -> tuple[bool, Any]:
    try:
        return True, json.loads(text)
    except ValueError as exc:
        sources.files.append(FileNote(path=path, kind=kind, status="invalid JSON"))
        sources.skip(
            Code.INVALID_JSON, path, detail=f"line {getattr(exc, 'lineno', '?')}: legacy dropped the file"
        )
        return False, None


def _read_list(path: str, stem: str, text: str, sources: Sources) -> None:
    ok, data = _parse_json(path, text, "account_list", sources)
    if not ok:
        return
    if not isinstance(data, list):
        sources.files.append(FileNote(path=path, kind="account_list", status="not an array"))
        sources.skip(Code.NOT_AN_ARRAY, path, detail=f"a JSON {type(data).__name__}: legacy dropped the file")
        return
    sources.files.append(FileNote(path=path, kind="account_list", status=f"read, entries: {len(data)}"))
    account_type, broker = stem.split("_", 1)
    for n, raw in enumerate(data):
        source = f"{path} #{n}"
        if not isinstance(raw, dict):
            sources.skip(Code.SOURCE_INVALID, source, detail="the entry is not a JSON object")
            continue
        user_id = raw.get("user_id")
        try:
            entry = ListEntry.model_validate(raw)
        except ValidationError as exc:
            shown = user_id if valid_user_id(user_id) else None
            sources.skip(Code.SOURCE_INVALID, source, shown, broker, _why(exc))
            continue
        if not sources.check_id(entry.user_id, source):
            continue
        if (entry.account_type, entry.broker_type) != (account_type, broker):
            detail = (
                f"account_type/broker_type {entry.account_type}/{entry.broker_type} do not match the file"
            )
            sources.skip(Code.SOURCE_INVALID, source, entry.user_id, broker, detail)
            continue
        values = _values(entry, {"user_id", "broker_type", "enabled"}) | {"account_type": entry.account_type}
        sources.declarations.append(Declaration(entry.user_id, broker, source, "list", entry.enabled, values))


def _per_user(
    model: type[M], path: str, stem: str, data: object, not_mapping: str, sources: Sources
) -> M | None:
    """A per-user file's content (the user id is the file name's stem), or None, reported."""
    if not sources.check_id(stem, path):
        return None
    if not isinstance(data, dict):
        sources.skip(Code.SOURCE_INVALID, path, stem, detail=not_mapping)
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        sources.skip(Code.SOURCE_INVALID, path, stem, detail=_why(exc))
        return None


def _read_json(path: str, stem: str, text: str, sources: Sources) -> None:
    ok, data = _parse_json(path, text, "user_settings", sources)
    if not ok:
        return
    if isinstance(data, list) and _OTHER_LIST.match(stem):
        sources.files.append(FileNote(path=path, kind="account_list", status="not read by legacy"))
        detail = f"entries: {len(data)}; legacy reads only the six {{retail,investor}}_{{kraken,alpaca,coinbase}} lists"
        sources.skip(Code.FILE_NOT_READ, path, detail=detail)
        return
    sources.files.append(FileNote(path=path, kind="user_settings", status="read"))
    settings = _per_user(
        SettingsFile, path, stem, data, f"a JSON {type(data).__name__}, not an object", sources
    )
    if settings is None:
        return
    values = _values(settings, {"broker", "enabled"})
    broker = settings.broker.strip().lower()
    sources.declarations.append(Declaration(stem, broker, path, "settings", settings.enabled, values))


def _read_yaml(path: str, stem: str, text: str, sources: Sources) -> None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        sources.files.append(FileNote(path=path, kind="user_keys", status="invalid YAML"))
        sources.skip(Code.INVALID_YAML, path, detail=f"line {mark.line + 1 if mark else '?'}")
        return
    sources.files.append(FileNote(path=path, kind="user_keys", status="read"))
    parsed = _per_user(YamlFile, path, stem, data, "the top level is not a mapping", sources)
    if parsed is None:
        return
    broker = parsed.broker.strip().lower()
    values = _values(parsed, {"broker", "enabled", "api_key", "api_secret"})
    sources.declarations.append(Declaration(stem, broker, path, "yaml", parsed.enabled, values))
    secret = SecretStr(parsed.api_secret) if parsed.api_secret is not None else None
    sources.yaml_keys[(stem, broker)] = YamlKeys(path, parsed.api_key, secret)


def _store(name: str, kind: str, read: Callable[[], list[Any] | None], sources: Sources) -> list[Any]:
    """A SQLite store's rows; none when it is absent or unreadable (said in the files and items)."""
    try:
        rows = read()
    except Unreadable as exc:
        sources.files.append(FileNote(path=name, kind=kind, status="unreadable"))
        sources.skip(Code.SOURCE_INVALID, name, detail=str(exc))
        return []
    status = "absent" if rows is None else f"read, rows: {len(rows)}"
    sources.files.append(FileNote(path=name, kind=kind, status=status))
    return rows or []


def read_vault(install: LegacyInstall, key: str | None, sources: Sources) -> None:
    for row in _store("vault.db", "vault", lambda: install.vault_rows(key), sources):
        source = f"vault.db credentials row {row.row}"
        if not sources.check_id(row.user_id, source):
            continue
        sources.vault[(row.user_id, row.broker)] = row
        sources.declarations.append(Declaration(row.user_id, row.broker, source, "vault", None))


def read_saas(install: LegacyInstall, sources: Sources) -> None:
    for row in _store("users.db", "saas_users", install.saas_users, sources):
        _read_saas_row(row, sources)


def _read_saas_row(row: SaasRow, sources: Sources) -> None:
    source = f"users.db users row {row.row}"
    if not sources.check_id(row.user_id, source):
        return
    user_id = str(row.user_id)
    tier = row.tier if row.tier is not None else Tier.BASIC.value
    if tier not in {t.value for t in Tier}:
        sources.skip(
            Code.SOURCE_INVALID,
            source,
            user_id,
            detail=f"subscription_tier {str(tier)[:20]!r} is not basic, pro or enterprise",
        )
        return
    if row.enabled not in (0, 1, None):
        sources.skip(Code.SOURCE_INVALID, source, user_id, detail="enabled is not 0 or 1")
        return
    email = row.email.strip().lower() if isinstance(row.email, str) and row.email.strip() else None
    sources.saas[user_id] = SaasUser(user_id, email, Tier(tier), row.enabled != 0, source, row.columns)
