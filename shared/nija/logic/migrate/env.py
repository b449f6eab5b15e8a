"""The legacy .env (section D of the legacy formats): per-user broker keys under names made from the
user_id, the platform's own keys (never a user's), and the global switches.

Names are `{BROKER}_USER_{TOKEN}_{FIELD}`. From a user_id: normalised = trimmed, `-` as `_`, a leading
`user_` dropped; SHORT = the normalised id up to its first `_`, FULL = all of it, RAW = the original id;
each uppercased. Legacy tried SHORT first, so two users with one first name (sam_taylor, sam_ng) both
traded with `..._USER_SAM_...`. The import tries FULL first, uses SHORT only where no other user of
that broker shares it (env_name_collision otherwise), then RAW; key and secret come from one name.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dotenv import dotenv_values
from dotenv.variables import parse_variables
from pydantic import SecretStr

from nija.domain.migration import Code, GlobalNote, Item

EXCHANGES = ("COINBASE", "KRAKEN", "BINANCE", "OKX", "ALPACA")
# The names each broker's legacy code tried per user, in the order this import tries them.
TOKEN_ORDER: dict[str, tuple[str, ...]] = {
    "kraken": ("full", "short", "raw"),
    "alpaca": ("full", "short", "raw"),
    "coinbase": ("full", "short"),
}
PLACEHOLDERS = frozenset(
    {
        "YOUR_API_KEY_HERE",
        "YOUR_API_SECRET_HERE",
        "YOUR_KEY",
        "YOUR_SECRET",
        "your_api_key",
        "your_api_secret",
    }
)
SWITCHES = {
    "NIJA_DISABLE_USER_ACCOUNTS": "true turned every user account off at run time; noted, not applied",
    "ENABLE_KRAKEN_USER_TRADING": "false turned Kraken user accounts off at run time; noted, not applied",
    "LIVE_CAPITAL_VERIFIED": "legacy's live trading gate; the platform never turns trading on in an import",
    "PLATFORM_ACCOUNT_TIER": "a capital tier of the platform account, not a subscription tier: not imported",
    "ENABLE_ALPACA": "legacy switch: not imported",
    "PAPER_MODE": "legacy-wide paper trading: not imported (Alpaca keys keep their own paper flag)",
    "DRY_RUN_MODE": "legacy-wide dry run: not imported",
    "ALPACA_PAPER": "the platform account's paper flag: not imported",
    "ENVIRONMENT": "legacy's deployment name: not imported",
    "NIJA_ENV": "legacy's deployment name: not imported",
}
KEY_NAMES = {
    "VAULT_ENCRYPTION_KEY": "present: used to open vault.db (its value is never shown)",
    "NIJA_ENCRYPTION_KEY": "present: APIKeyManager kept its keys in memory only, nothing to import",
}
_USER_KEY = re.compile(rf"^({'|'.join(EXCHANGES)})_USER_(.+)_API_KEY$")
_PLATFORM_KEY = re.compile(rf"^({'|'.join(EXCHANGES)})(_PLATFORM|_MASTER)?_API_KEY$")
_OTHER_KEY = re.compile(rf"^({'|'.join(EXCHANGES)})_.+_API_KEY$")


def parse_env(text: str) -> dict[str, str]:
    """A .env as python-dotenv reads it (quotes, values over several lines inside quotes, `\\n` in
    double quotes, comments), `${NAME}` taken from the names above it in the file (legacy's host
    environment is not known here). A name without a value is left out."""
    raw = dotenv_values(stream=io.StringIO(text), interpolate=False)
    values: dict[str, str] = {}
    for name, value in raw.items():
        if value is not None:
            values[name] = "".join(atom.resolve(values) for atom in parse_variables(value))
    return values


@dataclass(frozen=True)
class Tokens:
    full: str
    short: str
    raw: str

    @classmethod
    def of(cls, user_id: str) -> Tokens:
        normal = user_id.strip().replace("-", "_")
        normal = normal.removeprefix("user_")
        return cls(
            full=normal.upper(), short=normal.split("_", 1)[0].upper(), raw=user_id.upper().replace("-", "_")
        )


@dataclass(frozen=True)
class EnvKeys:
    """Keys found in .env for one account: from one name, never a secret in `source`."""

    source: str
    key: str
    secret: SecretStr
    paper: bool | None = None


def placeholder(value: str | None) -> bool:
    return value is not None and value.strip() in PLACEHOLDERS


@dataclass
class EnvLookup:
    found: EnvKeys | None = None
    placeholder: bool = False
    not_imported: list[Item] = field(default_factory=list)  # first-name keys not attributed
    warnings: list[Item] = field(default_factory=list)  # first-name keys legacy used instead


class LegacyEnv:
    def __init__(self, env: dict[str, str], accounts: Iterable[tuple[str, str]]) -> None:
        self.env = env
        self.accounted: set[tuple[str, str]] = set()  # (EXCHANGE, token) named by some account
        fulls: dict[tuple[str, str], set[str]] = {}
        for user_id, broker in accounts:
            tokens = Tokens.of(user_id)
            fulls.setdefault((broker, tokens.short), set()).add(tokens.full)
            if broker.upper() in EXCHANGES and broker != "binance":  # legacy read no Binance user names
                self.accounted.update((broker.upper(), t) for t in (tokens.full, tokens.short, tokens.raw))
        self.shared = {key for key, users in fulls.items() if len(users) > 1}

    def get(self, name: str) -> str | None:
        value = self.env.get(name)
        return value if value else None

    def _pair(self, prefix: str, token: str, broker: str) -> tuple[str | None, str | None, str]:
        base = f"{prefix}_USER_{token}"
        key, secret = self.get(f"{base}_API_KEY"), self.get(f"{base}_API_SECRET")
        names = f"{base}_API_KEY, {base}_API_SECRET"
        if broker == "coinbase" and secret is None and (pem := self.get(f"{base}_PEM_CONTENT")):
            secret, names = pem, f"{base}_API_KEY, {base}_PEM_CONTENT"
        if broker == "coinbase" and secret is not None and "\\n" in secret:
            secret = secret.replace("\\n", "\n")  # as legacy's Coinbase code did
        return key, secret, names

    def lookup(self, user_id: str, broker: str) -> EnvLookup:
        result = EnvLookup()
        if broker not in TOKEN_ORDER:
            return result
        prefix, tokens = broker.upper(), Tokens.of(user_id)
        tried: set[str] = set()
        for kind in TOKEN_ORDER[broker]:
            token = getattr(tokens, kind)
            if token in tried:
                continue
            tried.add(token)
            key, secret, names = self._pair(prefix, token, broker)
            if key is None and secret is None:
                continue
            if kind == "short" and (broker, token) in self.shared:
                detail = f"another {broker} user has the first name {token}: these keys are not attributed"
                result.not_imported.append(self._collision(names, user_id, broker, detail))
                continue
            if placeholder(key) or placeholder(secret):
                result.placeholder = True
                continue
            if key is None or secret is None:
                continue
            paper = self._paper(token, tokens) if broker == "alpaca" else None
            result.found = EnvKeys(f".env {names}", key, SecretStr(secret), paper)
            break
        if result.found and tokens.short != tokens.full and (broker, tokens.short) in self.shared:
            key, secret, names = self._pair(prefix, tokens.short, broker)
            if key and secret:
                detail = (
                    "legacy traded this account with these first-name keys; the full-name ones are imported"
                )
                result.warnings.append(self._collision(names, user_id, broker, detail))
        return result

    @staticmethod
    def _collision(names: str, user_id: str, broker: str, detail: str) -> Item:
        return Item(
            code=Code.ENV_NAME_COLLISION,
            source=f".env {names}",
            legacy_user_id=user_id,
            broker=broker,
            detail=detail,
        )

    def _paper(self, token: str, tokens: Tokens) -> bool:
        """Alpaca's paper flag: under the name that gave the key, else SHORT, else RAW, as legacy
        read it; unset means paper, and only the text `true` (any case) means paper."""
        for name in (token, tokens.short, tokens.raw):
            value = self.env.get(f"ALPACA_USER_{name}_PAPER")
            if value is not None:
                return value.lower() == "true"
        return True

    def orphans(self) -> list[Item]:
        """Per-user key names in .env that no account named (legacy's discovery scan showed such a
        pair as a user and never traded it), and other exchange key names it cannot attribute."""
        items = []
        for name in sorted(n for n, v in self.env.items() if v and n.endswith("_API_KEY")):
            if _PLATFORM_KEY.match(name):
                continue
            if match := _USER_KEY.match(name):
                prefix, token = match.groups()
                if (prefix, token) in self.accounted:
                    continue
                base = name.removesuffix("_API_KEY")
                paired = self.get(f"{base}_API_SECRET") or self.get(f"{base}_PEM_CONTENT")
                detail = f"no legacy user; legacy listed it as {prefix.lower()}_{token.lower()}, never traded"
                if prefix == "BINANCE":
                    detail = "legacy never read per-user Binance names (its discovery scan only listed them)"
                if not paired:
                    detail += "; no secret beside it"
                items.append(Item(code=Code.ORPHAN_CREDENTIALS, source=f".env {name}", detail=detail))
            elif _OTHER_KEY.match(name):
                detail = "an installation-specific alias: it names no user, so it cannot be attributed"
                items.append(Item(code=Code.ORPHAN_CREDENTIALS, source=f".env {name}", detail=detail))
        return items

    def notes(self) -> list[GlobalNote]:
        notes = [
            GlobalNote(name=n, value=self.env[n], note=why) for n, why in SWITCHES.items() if n in self.env
        ]
        notes += [GlobalNote(name=n, note=why) for n, why in KEY_NAMES.items() if n in self.env]
        notes += [
            GlobalNote(
                name=n, note="the platform account's keys (NIJA's own money, never a user): not imported"
            )
            for n in sorted(self.env)
            if _PLATFORM_KEY.match(n)
        ]
        return notes
