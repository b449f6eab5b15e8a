"""Legacy NIJA bot installations built by the tests (`nija migrate`): every format of
../shared/legacy-nija-formats.md, with invented keys. Every secret is a canary that must never
reach a report, a log line or a table item. `standard(root)` is the installation most tests use."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

USERS = "config/users"


@dataclass
class Install:
    root: Path
    emails: Path
    vault_key: str = ""
    canaries: list[str] = field(default_factory=list)

    def secret(self, name: str, b64: bool = True) -> str:
        """A new canary secret (base64, as Kraken's are, unless b64 is False)."""
        raw = f"CANARY-{name}-".encode() + os.urandom(18)
        value = base64.b64encode(raw).decode() if b64 else raw.hex() + "CANARY"
        self.canaries.append(value)
        return value

    def pem(self) -> str:
        """A throwaway P-256 key as Coinbase CDP issues it: a PEM over several lines."""
        key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        text = key.decode()
        self.canaries += [text.strip(), *(line for line in text.splitlines() if "-----" not in line)]
        return text

    def write(self, relative: str, content: str | Any) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            content if isinstance(content, str) else json.dumps(content, indent=2), encoding="utf-8"
        )

    def vault(
        self, rows: list[tuple[str, str, str, str, dict[str, Any] | None]], key: str | None = None
    ) -> None:
        """vault.db as legacy's SecureVault makes it; each row encrypted with `key` (the installation's)."""
        fernet = Fernet((key or self.vault_key).encode())
        with closing(sqlite3.connect(self.root / "vault.db")) as db:
            db.executescript(VAULT_SCHEMA)
            for user_id, broker, api_key, secret, params in rows:
                self.add_vault_row(db, fernet, user_id, broker, api_key, secret, params)
            db.commit()

    @staticmethod
    def add_vault_row(
        db: sqlite3.Connection,
        fernet: Fernet,
        user_id: str,
        broker: str,
        api_key: str,
        secret: str,
        params: Any,
    ) -> None:
        extra = fernet.encrypt(json.dumps(params).encode()).decode() if params is not None else None
        db.execute(
            "INSERT INTO credentials (user_id, broker, api_key_encrypted, api_secret_encrypted, "
            "additional_params_encrypted, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                user_id,
                broker,
                fernet.encrypt(api_key.encode()).decode(),
                fernet.encrypt(secret.encode()).decode(),
                extra,
                "2026-03-01T10:00:00",
                "2026-03-01T10:00:00",
            ),
        )

    def users_db(self, rows: list[tuple[str, str, str, int]]) -> None:
        """users.db as legacy's SaaS API makes it: (user_id, email, tier, enabled)."""
        with closing(sqlite3.connect(self.root / "users.db")) as db:
            db.executescript(USERS_SCHEMA)
            for user_id, email, tier, enabled in rows:
                db.execute(
                    "INSERT INTO users (user_id, email, password_hash, subscription_tier, created_at, "
                    "updated_at, enabled, email_verified, tos_accepted_at, tos_version) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, '2026-03')",
                    (user_id, email, ARGON2, tier, "2026-03-01", "2026-03-01", enabled, "2026-03-18"),
                )
            db.commit()


VAULT_SCHEMA = """
CREATE TABLE credentials (id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, broker TEXT NOT NULL,
  api_key_encrypted TEXT NOT NULL, api_secret_encrypted TEXT NOT NULL, additional_params_encrypted TEXT,
  created_at TEXT, updated_at TEXT, rotation_count INTEGER DEFAULT 0, UNIQUE(user_id, broker));
CREATE TABLE audit_log (id INTEGER PRIMARY KEY, user_id TEXT, broker TEXT, action TEXT, timestamp TEXT,
  ip_address TEXT, success INTEGER);
CREATE TABLE key_rotation_history (id INTEGER PRIMARY KEY, old_key_hash TEXT, new_key_hash TEXT,
  rotated_at TEXT, credentials_count INTEGER);
"""
USERS_SCHEMA = """
CREATE TABLE users (id INTEGER PRIMARY KEY, user_id TEXT UNIQUE, email TEXT UNIQUE, password_hash TEXT,
  subscription_tier TEXT, created_at TEXT, updated_at TEXT, last_login TEXT, enabled INTEGER,
  email_verified INTEGER, tos_accepted_at TEXT, tos_version TEXT);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id TEXT, token_hash TEXT, expires_at TEXT);
CREATE TABLE login_history (id INTEGER PRIMARY KEY, user_id TEXT, at TEXT, success INTEGER);
"""
ARGON2 = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"  # invented, but shaped as one


def entry(user_id: str, account_type: str, broker: str, **extra: Any) -> dict[str, Any]:
    return {
        "user_id": user_id,
        "name": user_id.replace("_", " ").title(),
        "account_type": account_type,
        "broker_type": broker,
        **extra,
    }


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every file and folder below `root`: its mtime and content hash (a folder's: its listing)."""
    found: dict[str, tuple[int, str]] = {}
    for path in sorted([root, *root.rglob("*")]):
        digest = (
            hashlib.sha256(path.read_bytes()).hexdigest()
            if path.is_file()
            else hashlib.sha256("\n".join(sorted(p.name for p in path.iterdir())).encode()).hexdigest()
        )
        found[str(path.relative_to(root))] = (path.stat().st_mtime_ns, digest)
    return found


def standard(root: Path) -> Install:
    """An installation with every legacy format and every case the importer must report.

    Who is who (the plan's expected report spells out the outcome of each):
      jane_roe       kraken (list + settings file; vault row under another key, .env full name),
                     alpaca (.env first name, PAPER=false: live); settings max_positions 3
      sam_taylor     kraken from .env full name; sam_ng's first name is the same (collision)
      sam_ng         kraken from its YAML file (the first-name keys are not attributed)
      cora, dan      coinbase from .env: a PEM over several lines; a PEM with literal \\n
      lee            kraken in the retail and the investor list, the same values: one account
      tania_gilbert + tania_gilbert_alpaca: one address in emails.csv, kraken + alpaca: one user
      mike           kraken in two lists with different values: duplicate_user
      nora           no address anywhere: email_missing
      dave, erin, finn, olga: disabled account; no keys; placeholder keys; okx (unsupported)
      user_0123...   SaaS user (users.db: pro, address there only): kraken, alpaca (paper false),
                     okx from vault.db; its .env keys are superseded by the vault's
      user_fedc...   SaaS user, disabled, enterprise: binance from vault.db
      user_0000...aa SaaS user without any account
    """
    root.mkdir(parents=True, exist_ok=True)
    install = Install(root=root, emails=root.parent / "emails.csv", vault_key=Fernet.generate_key().decode())
    s = install.secret
    cora_pem, dan_pem = install.pem(), install.pem()
    dan_literal = dan_pem.replace("\n", "\\n")
    install.write(
        ".env",
        "\n".join(
            [
                "# legacy NIJA bot",
                "ENABLE_KRAKEN_USER_TRADING=false",
                "NIJA_DISABLE_USER_ACCOUNTS=false",
                "LIVE_CAPITAL_VERIFIED=true  # a comment after an unquoted value",
                f"VAULT_ENCRYPTION_KEY={install.vault_key}",
                "KRAKEN_PLATFORM_API_KEY=platform-key-0001",
                f"KRAKEN_PLATFORM_API_SECRET={s('platform')}",
                "KRAKEN_MASTER_API_KEY=master-key-0001",
                f"KRAKEN_MASTER_API_SECRET={s('master')}",
                "KRAKEN_USER_JANE_ROE_API_KEY=K-JANE-0001",
                f'KRAKEN_USER_JANE_ROE_API_SECRET="{s("jane-kraken")}"',
                "ALPACA_USER_JANE_API_KEY=PKJANE0001",
                f"ALPACA_USER_JANE_API_SECRET={s('jane-alpaca', b64=False)}",
                "ALPACA_USER_JANE_PAPER=false",
                "KRAKEN_USER_SAM_API_KEY=K-SAM-0001",
                f"KRAKEN_USER_SAM_API_SECRET={s('sam')}",
                "KRAKEN_USER_SAM_TAYLOR_API_KEY=K-SAMT-0001",
                f"KRAKEN_USER_SAM_TAYLOR_API_SECRET={s('sam-taylor')}",
                "COINBASE_USER_CORA_API_KEY=organizations/org-1/apiKeys/cora-0001",
                f'COINBASE_USER_CORA_PEM_CONTENT="{cora_pem}"',
                "COINBASE_USER_DAN_API_KEY=organizations/org-1/apiKeys/dan-0002",
                f"COINBASE_USER_DAN_API_SECRET='{dan_literal}'",
                "KRAKEN_USER_NORA_API_KEY=K-NORA-0001",
                f"KRAKEN_USER_NORA_API_SECRET={s('nora')}",
                "KRAKEN_USER_MIKE_API_KEY=K-MIKE-0001",
                f"KRAKEN_USER_MIKE_API_SECRET={s('mike')}",
                "KRAKEN_USER_LEE_API_KEY=K-LEE-0001",
                f"KRAKEN_USER_LEE_API_SECRET={s('lee')}",
                "KRAKEN_USER_TANIA_API_KEY=K-TANIA-0001",
                f"KRAKEN_USER_TANIA_API_SECRET={s('tania')}",
                "ALPACA_USER_TANIA_GILBERT_ALPACA_API_KEY=PKTANIA0001",
                f"ALPACA_USER_TANIA_GILBERT_ALPACA_API_SECRET={s('tania-alpaca', b64=False)}",
                "KRAKEN_USER_DAVE_API_KEY=K-DAVE-0001",
                f"KRAKEN_USER_DAVE_API_SECRET={s('dave')}",
                "KRAKEN_USER_0123456789ABCDEF_API_KEY=K-ANN-ENV-0001",
                f"KRAKEN_USER_0123456789ABCDEF_API_SECRET={s('ann-env')}",
                "KRAKEN_USER_GHOST_API_KEY=K-GHOST-0001",
                f"KRAKEN_USER_GHOST_API_SECRET={s('ghost')}",
                "KRAKEN_USER_1_API_KEY=K-ALIAS-0001",
                f"KRAKEN_USER_1_API_SECRET={s('alias-1')}",
                "KRAKEN_DAIVON_API_KEY=K-DAIVON-0001",
                f"KRAKEN_DAIVON_API_SECRET={s('daivon')}",
                "BINANCE_USER_JANE_API_KEY=B-JANE-0001",
                f"BINANCE_USER_JANE_API_SECRET={s('jane-binance', b64=False)}",
                "",
            ]
        ),
    )
    install.write(
        f"{USERS}/retail_kraken.json",
        [
            entry("jane_roe", "retail", "kraken", disabled_symbols=["XRP-USD"], description="since 2026-02"),
            entry("sam_taylor", "retail", "kraken"),
            entry("sam_ng", "retail", "kraken"),
            entry("nora", "retail", "kraken"),
            entry("mike", "retail", "kraken", active_trading=True),
            entry("lee", "retail", "kraken", copy_from_master=True),
            entry("tania_gilbert", "retail", "kraken"),
            entry("dave", "retail", "kraken", enabled=False),
            entry("erin", "retail", "kraken"),
            entry("Bad Id!", "retail", "kraken"),
            {"user_id": "ivan", "name": "Ivan", "broker_type": "kraken"},
            entry("wrong", "investor", "kraken"),
        ],
    )
    install.write(
        f"{USERS}/investor_kraken.json",
        [
            entry("mike", "investor", "kraken", active_trading=False),
            entry("lee", "investor", "kraken", copy_from_master=True),
        ],
    )
    install.write(
        f"{USERS}/retail_alpaca.json",
        [entry("jane_roe", "retail", "alpaca"), entry("tania_gilbert_alpaca", "retail", "alpaca")],
    )
    install.write(
        f"{USERS}/retail_coinbase.json",
        [entry("cora", "retail", "coinbase"), entry("dan", "retail", "coinbase")],
    )
    install.write(f"{USERS}/investor_alpaca.json", {"user_id": "an object, not a list"})
    install.write(f"{USERS}/investor_coinbase.json", '[{"user_id": "cut", ')
    install.write(f"{USERS}/retail_okx.json", [entry("olga", "retail", "okx")])
    install.write(
        f"{USERS}/jane_roe.json",
        '{"name": "Jane Roe", "broker": "kraken", "role": "user", "enabled": true, "risk_multiplier": 0.5,'
        ' "disabled_symbols": ["DOGE-USD"], "mode": "recovery", "_disabled_reason": "nonce errors",'
        ' "position_limits": {"max_positions": 3, "dust_threshold_usd": 1.5}}',
    )
    install.write(f"{USERS}/bob.json", '{"name": "Bob", "broker": ')
    install.write(
        f"{USERS}/sam_ng.yaml",
        f"broker: KRAKEN\napi_key: K-SAMNG-0001\napi_secret: {s('sam-ng')}\nrisk_multiplier: 0.8\n",
    )
    install.write(
        f"{USERS}/finn.yaml", "broker: kraken\napi_key: YOUR_API_KEY_HERE\napi_secret: YOUR_API_SECRET_HERE\n"
    )
    install.write(f"{USERS}/olga.yaml", f"broker: OKX\napi_key: OKX-OLGA-0001\napi_secret: {s('olga')}\n")
    install.write(f"{USERS}/broken.yaml", "broker: [kraken\napi_key: x\n")
    install.write(f"{USERS}/old.yml", "broker: kraken\n")
    install.write(
        f"{USERS}/user.yaml.example", "broker: KRAKEN\napi_key: YOUR_API_KEY_HERE\ncopy_from_master: false\n"
    )
    install.write(f"{USERS}/README.md", "# users\n")
    ann, vic = "user_0123456789abcdef", "user_fedcba9876543210"
    install.vault(
        [
            (ann, "kraken", "K-ANN-0001", s("ann-kraken"), None),
            (ann, "alpaca", "PKANN0001", s("ann-alpaca", b64=False), {"paper": False}),
            (ann, "okx", "OKX-ANN-0001", s("ann-okx"), {"passphrase": s("ann-passphrase", b64=False)}),
            (vic, "binance", "B-VIC-0001", s("vic-binance", b64=False), None),
        ]
    )
    with closing(sqlite3.connect(root / "vault.db")) as db:  # a row sealed under another key
        install.add_vault_row(
            db, Fernet(Fernet.generate_key()), "jane_roe", "kraken", "K-OLD", s("jane-old"), None
        )
        db.commit()
    install.users_db(
        [
            (ann, "Ann@Example.com", "pro", 1),
            (vic, "vic@example.com", "enterprise", 0),
            ("user_00000000000000aa", "nobody@example.com", "basic", 1),
        ]
    )
    rows = [
        ("jane_roe", "jane@example.com"),
        ("sam_taylor", "sam.taylor@example.com"),
        ("sam_ng", "sam.ng@example.com"),
        ("cora", "cora@example.com"),
        ("dan", "dan@example.com"),
        ("mike", "mike@example.com"),
        ("lee", "lee@example.com"),
        ("tania_gilbert", "tania@example.com"),
        ("tania_gilbert_alpaca", "Tania@Example.com"),
        ("dave", "dave@example.com"),
        ("erin", "erin@example.com"),
        ("finn", "finn@example.com"),
        ("olga", "olga@example.com"),
        ("zed", "zed@example.com"),
        (vic, "vic@example.com"),
    ]
    install.emails.write_text("user_id,email\n" + "".join(f"{u},{e}\n" for u, e in rows), encoding="utf-8")
    return install
