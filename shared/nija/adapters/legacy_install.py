"""A legacy NIJA bot installation on disk, read only: its .env, config/users/, the Fernet vault
(vault.db, E2 of the legacy formats) and the SaaS user table (users.db, F).

Nothing here writes to the installation: files are read, and the SQLite stores are opened read-only
and immutable (no journal, no lock file, no -wal or -shm beside them). A vault row is opened column
by column with the installation's Fernet key; what it holds is returned as secrets, never logged.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from nija.ports.legacy import LegacyFile, SaasRow, Unreadable, VaultRow

USERS_DIR = "config/users"


def _connect(path: Path) -> sqlite3.Connection:
    # immutable: SQLite reads the file as it is, takes no lock and creates nothing next to it.
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _rows(path: Path, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    try:
        with closing(_connect(path)) as db:
            cursor = db.execute(query)
            return [c[0] for c in cursor.description], cursor.fetchall()
    except sqlite3.Error as exc:
        raise Unreadable(f"{path.name}: {exc}") from None


class LegacyTree:
    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> str:
        return str(self._root)

    def env_text(self) -> str | None:
        path = self._root / ".env"
        if not path.is_file():
            return None
        return path.read_text(encoding="utf-8", errors="replace")

    def user_files(self) -> list[LegacyFile]:
        folder = self._root / USERS_DIR
        if not folder.is_dir():
            return []
        found = []
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            relative = f"{USERS_DIR}/{path.name}"
            try:
                found.append(LegacyFile(path=relative, text=path.read_text(encoding="utf-8")))
            except (UnicodeDecodeError, OSError) as exc:
                found.append(LegacyFile(path=relative, failure=type(exc).__name__))
        return found

    def vault_rows(self, key: str | None) -> list[VaultRow] | None:
        path = self._root / "vault.db"
        if not path.is_file():
            return None
        _, rows = _rows(
            path,
            "SELECT id, user_id, broker, api_key_encrypted, api_secret_encrypted, "
            "additional_params_encrypted FROM credentials ORDER BY id",
        )
        fernet, why = _fernet(key)
        return [_open(row, fernet, why) for row in rows]

    def saas_users(self) -> list[SaasRow] | None:
        path = self._root / "users.db"
        if not path.is_file():
            return None
        columns, rows = _rows(path, "SELECT * FROM users ORDER BY id")
        found = []
        for n, values in enumerate(rows):
            row = dict(zip(columns, values, strict=True))
            found.append(
                SaasRow(
                    row=int(row["id"]) if isinstance(row.get("id"), int) else n + 1,
                    user_id=row.get("user_id"),
                    email=row.get("email"),
                    tier=row.get("subscription_tier"),
                    enabled=row.get("enabled"),
                    columns=tuple(columns),
                )
            )
        return found


def _fernet(key: str | None) -> tuple[Fernet | None, str]:
    if not key:
        return None, "no VAULT_ENCRYPTION_KEY in .env: the vault cannot be opened"
    try:
        return Fernet(key.strip().encode()), ""
    except ValueError:
        return None, "VAULT_ENCRYPTION_KEY is not a Fernet key (44 characters of URL-safe base64)"


def _open(row: tuple[Any, ...], fernet: Fernet | None, why: str) -> VaultRow:
    row_id, user_id, broker, key, secret, params = row
    base = {"row": int(row_id), "user_id": str(user_id), "broker": str(broker or "").lower()}
    if fernet is None:
        return VaultRow(**base, failure=why)
    try:
        opened = [
            fernet.decrypt(str(token).encode()).decode() if token is not None else None
            for token in (key, secret, params)
        ]
    except (InvalidToken, UnicodeDecodeError, TypeError):
        return VaultRow(**base, failure="the row does not open with VAULT_ENCRYPTION_KEY")
    extra: Any = None
    if opened[2] is not None:
        try:
            extra = json.loads(opened[2])
        except ValueError:
            return VaultRow(**base, failure="its additional params are not JSON")
    if extra is not None and not isinstance(extra, dict):
        return VaultRow(**base, failure="its additional params are not a JSON object")
    return VaultRow(
        **base,
        api_key=SecretStr(opened[0]) if opened[0] is not None else None,
        api_secret=SecretStr(opened[1]) if opened[1] is not None else None,
        paper=(extra or {}).get("paper"),
        params=tuple(sorted(extra or {})),
    )
