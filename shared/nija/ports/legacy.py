"""The legacy installation port: what `nija migrate` reads from a legacy NIJA bot's install root,
read only (nothing there is ever written). Parsing what is read is nija.logic.migrate's job."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, SecretStr


class LegacyFile(BaseModel):
    path: str  # relative to the install root, with /
    text: str | None = None  # None: not readable as UTF-8 text
    failure: str | None = None


class VaultRow(BaseModel):
    """One row of vault.db's credentials table (E2), opened with the installation's Fernet key."""

    model_config = ConfigDict(frozen=True)

    row: int
    user_id: str
    broker: str
    api_key: SecretStr | None = None
    api_secret: SecretStr | None = None
    paper: object = None  # additional_params["paper"] as stored (a JSON value), None when absent
    params: tuple[str, ...] = ()  # names of the additional params (their values may be secrets)
    failure: str | None = None  # why the row did not open; the values are None then


class SaasRow(BaseModel):
    """One row of users.db's users table (F)."""

    row: int
    user_id: object
    email: object
    tier: object
    enabled: object
    columns: tuple[str, ...]  # every column the table has


class Unreadable(Exception):
    """A store of the installation exists but cannot be read (not SQLite, no such table)."""


class LegacyInstall(Protocol):
    @property
    def root(self) -> str: ...

    def env_text(self) -> str | None:
        """The .env file's text; None when there is none."""
        ...

    def user_files(self) -> list[LegacyFile]:
        """Every file in config/users/, sorted by path."""
        ...

    def vault_rows(self, key: str | None) -> list[VaultRow] | None:
        """vault.db's credential rows, each opened with `key` where it can be; None: no vault.db.
        Unreadable: the file is there but is not such a vault."""
        ...

    def saas_users(self) -> list[SaasRow] | None:
        """users.db's users; None: no users.db. Unreadable: the file is there but is not such a table."""
        ...
