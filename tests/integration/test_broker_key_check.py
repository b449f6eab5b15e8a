"""The vault's broker key check, on the real ccxt and alpaca-py clients.

Every request those clients build and sign goes through a replay transport (tests/fixtures/brokers)
that checks it was signed the broker's way and answers with the broker's recorded response; any
other request fails the test. The secrets are canaries: none may reach a log line (ccxt, urllib3,
requests and our loggers captured at DEBUG), an exception message or chain, or a repr.
"""

from __future__ import annotations

import base64
import logging
import subprocess
import sys
import traceback
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from fixtures.brokers import signing
from fixtures.brokers.replay import Replay, Verifier

from nija.adapters.brokers import override_client_settings
from nija.adapters.brokers.key_check import KeyCheck, check_credentials
from nija.domain.credentials import (
    AlpacaCredentials,
    BinanceCredentials,
    BrokerCredentials,
    CoinbaseCredentials,
    KrakenCredentials,
    PaperCredentials,
    Permission,
)
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerRateLimited,
    BrokerTemporaryError,
    UnknownOutcome,
)
from nija.domain.models import BrokerName

pytestmark = pytest.mark.members("user-1")

# Load the real clients at collection time, so no test pays for the first import.
pytest.importorskip("ccxt.coinbase")
pytest.importorskip("alpaca.trading.client")

KRAKEN_KEY = "kraken-public-key-0001"
KRAKEN_SECRET = base64.b64encode(b"kraken-CANARY-secret-" + bytes(range(43))).decode()
BINANCE_KEY = "binance-public-key-0001"
BINANCE_SECRET = "binanceCANARYsecret9f8e7d6c5b4a39281716151413121110"
ALPACA_KEY = "PKCANARYKEYID0001"
ALPACA_SECRET = "alpacaCANARYsecretZ9Y8X7W6V5U4T3S2R1Q0p9o8"
COINBASE_KEY = "organizations/0f7d2c1e-org/apiKeys/5a6b7c8d-key"
PAPER_SECRET = "paperCANARYsecret"

_KEY = ec.generate_private_key(ec.SECP256R1())  # a throwaway P-256 key, as CDP issues
COINBASE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
).decode()

_ED_KEY = ed25519.Ed25519PrivateKey.generate()  # CDP's newer key type: base64 of seed + public key
COINBASE_ED25519 = base64.b64encode(
    _ED_KEY.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    + _ED_KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
).decode()

CREDENTIALS: dict[str, BrokerCredentials] = {
    "coinbase": CoinbaseCredentials(api_key_name=COINBASE_KEY, private_key=COINBASE_PEM),  # type: ignore[arg-type]
    "kraken": KrakenCredentials(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET),  # type: ignore[arg-type]
    "binance": BinanceCredentials(api_key=BINANCE_KEY, api_secret=BINANCE_SECRET),  # type: ignore[arg-type]
    "alpaca": AlpacaCredentials(key_id=ALPACA_KEY, secret_key=ALPACA_SECRET, paper=True),  # type: ignore[arg-type]
}
VERIFIERS: dict[str, Verifier] = {
    "coinbase": signing.coinbase(COINBASE_KEY, _KEY.public_key()),
    "kraken": signing.kraken(KRAKEN_KEY, KRAKEN_SECRET),
    "binance": signing.binance(BINANCE_KEY, BINANCE_SECRET),
    "alpaca": signing.alpaca(ALPACA_KEY, ALPACA_SECRET),
}
SECRETS = (
    KRAKEN_SECRET,
    BINANCE_SECRET,
    ALPACA_SECRET,
    PAPER_SECRET,
    COINBASE_ED25519,
    COINBASE_PEM.strip(),
    *(line for line in COINBASE_PEM.splitlines() if "-----" not in line),
)
WIRE_LOGGERS = ("", "ccxt", "urllib3", "requests", "alpaca", "nija")


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Everything logged at DEBUG, anywhere, must be free of the secrets."""
    for name in WIRE_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    yield caplog
    for secret in SECRETS:
        assert secret not in caplog.text


def run(broker: str, case: str, credentials: BrokerCredentials | None = None) -> tuple[Any, Replay]:
    """The key check against a recording: its KeyCheck, or the BrokerError it raised."""
    replay = Replay(VERIFIERS[broker]).load(broker, case)
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        try:
            result: Any = check_credentials(credentials or CREDENTIALS[broker], user_id="user-1")
        except BrokerError as exc:
            result = exc
    replay.assert_done()
    assert_no_secret(result)
    return result, replay


def assert_no_secret(result: object) -> None:
    texts = [repr(result), str(result)]
    if isinstance(result, BaseException):  # the message and every chained cause
        texts.append("".join(traceback.format_exception(result)))
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def balances(check: KeyCheck) -> dict[str, tuple[Decimal, Decimal]]:
    return {asset: (b.free, b.total) for asset, b in check.balances.items()}


D = Decimal
VALID = [
    (
        "coinbase",
        "ok",
        Permission(read=True, trade=True, withdraw=False),
        {"BTC": (D("0.015"), D("0.02")), "USD": (D("2500.5"), D("2500.5"))},
    ),
    (
        "coinbase",
        "withdraw",
        Permission(read=True, trade=True, withdraw=True),
        {"BTC": (D("0.015"), D("0.02")), "USD": (D("2500.5"), D("2500.5"))},
    ),
    (
        "kraken",
        "ok",
        Permission(read=True, trade=None, withdraw=None),
        {
            "USD": (D("17185.45"), D("25435.21")),
            "BTC": (D("0.4012"), D("1.2435")),
            "SOL": (D("12.5"), D("12.5")),
        },
    ),
    (
        "binance",
        "ok",
        Permission(read=True, trade=True, withdraw=False),
        {"BTC": (D("0.25"), D("0.3")), "USDT": (D("1520.12345678"), D("1520.12345678"))},
    ),
    (
        "binance",
        "withdraw",
        Permission(read=True, trade=True, withdraw=True),
        {"BTC": (D("0.25"), D("0.3")), "USDT": (D("1520.12345678"), D("1520.12345678"))},
    ),
    (
        "alpaca",
        "ok",
        Permission(read=True, trade=True, withdraw=False),
        {"USD": (D("9970.25"), D("10000.25")), "AAPL": (D("8"), D("10"))},
    ),
]


@pytest.mark.parametrize(
    ("broker", "case", "permission", "expected"), VALID, ids=[f"{b}-{c}" for b, c, *_ in VALID]
)
def test_valid_key_reports_permission_and_non_zero_balances(
    logs: pytest.LogCaptureFixture,
    broker: str,
    case: str,
    permission: Permission,
    expected: dict[str, tuple[Decimal, Decimal]],
) -> None:
    check, replay = run(broker, case)
    assert isinstance(check, KeyCheck)
    assert check.permission == permission
    assert balances(check) == expected
    assert all(timeout is not None for timeout in replay.timeouts)
    assert "broker key checked" in logs.text


FAILURES = [
    (broker, case, error)
    for broker in ("coinbase", "kraken", "binance", "alpaca")
    for case, error in (
        ("invalid_key", BrokerAuthFailed),
        ("rate_limited", BrokerRateLimited),
        ("unavailable", BrokerTemporaryError),
    )
] + [
    ("kraken", "timeout", BrokerTemporaryError),
    ("alpaca", "timeout", BrokerTemporaryError),
    ("alpaca", "unreachable", BrokerTemporaryError),
    ("alpaca", "blocked", BrokerAuthFailed),
]


@pytest.mark.parametrize(("broker", "case", "error"), FAILURES, ids=[f"{b}-{c}" for b, c, _ in FAILURES])
def test_broker_refusals_map_onto_the_taxonomy(
    logs: pytest.LogCaptureFixture, broker: str, case: str, error: type[BrokerError]
) -> None:
    exc, _ = run(broker, case)
    assert type(exc) is error, repr(exc)
    assert exc.message.startswith(broker), exc.message


def test_blocked_alpaca_account_says_why(logs: pytest.LogCaptureFixture) -> None:
    exc, _ = run("alpaca", "blocked")
    assert "trading is blocked" in exc.message


def test_live_alpaca_keys_use_the_live_api(logs: pytest.LogCaptureFixture) -> None:
    live = AlpacaCredentials(key_id=ALPACA_KEY, secret_key=ALPACA_SECRET, paper=False)  # type: ignore[arg-type]
    check, _ = run("alpaca", "ok_live", live)
    assert check.permission == Permission(read=True, trade=True, withdraw=False)
    assert set(check.balances) == {"USD"}


@pytest.mark.parametrize(
    ("private_key", "public_key"),
    [
        (COINBASE_ED25519, _ED_KEY.public_key()),  # signs with EdDSA
        (COINBASE_PEM.replace("\n", "\\n"), _KEY.public_key()),  # a PEM pasted with escaped newlines
    ],
    ids=["ed25519", "pem-escaped-newlines"],
)
def test_other_coinbase_key_forms(logs: pytest.LogCaptureFixture, private_key: str, public_key: Any) -> None:
    replay = Replay(signing.coinbase(COINBASE_KEY, public_key)).load("coinbase", "ok")
    credentials = CoinbaseCredentials(api_key_name=COINBASE_KEY, private_key=private_key)  # type: ignore[arg-type]
    with override_client_settings(adapter=replay, enable_rate_limit=False):
        check = check_credentials(credentials, user_id="user-1")
    replay.assert_done()
    assert check.permission == Permission(read=True, trade=True, withdraw=False)
    assert_no_secret(check)


def test_a_timeout_placing_an_order_is_an_unknown_outcome(logs: pytest.LogCaptureFixture) -> None:
    """The hook the executor uses: the same timeout is temporary for a read, unknown for an order."""
    from nija.adapters.brokers import alpaca_client, ccxt_client

    replay = Replay().load("kraken", "timeout", "timeout").load("alpaca", "timeout", "timeout")
    with override_client_settings(adapter=replay, enable_rate_limit=False):
        exchange = ccxt_client.build_exchange(CREDENTIALS["kraken"])  # type: ignore[arg-type]
        for placing, error in ((False, BrokerTemporaryError), (True, UnknownOutcome)):
            with pytest.raises(error), ccxt_client.translated(BrokerName.KRAKEN, order_placement=placing):
                ccxt_client.fetch_balances(exchange)
        client = alpaca_client.build_trading_client(CREDENTIALS["alpaca"])  # type: ignore[arg-type]
        for placing, error in ((False, BrokerTemporaryError), (True, UnknownOutcome)):
            with pytest.raises(error), alpaca_client.translated(order_placement=placing):
                client.get_account()
    replay.assert_done()


def test_wire_logs_keep_method_and_url_only(logs: pytest.LogCaptureFixture) -> None:
    _, replay = run("coinbase", "ok")
    wire = [r.getMessage() for r in logs.records if r.name == "nija.adapters.brokers.wire"]
    assert "GET https://api.coinbase.com/api/v3/brokerage/accounts -> 200" in wire
    tokens = [r.headers["Authorization"].split()[1] for r in replay.requests]
    assert tokens and not any(token in logs.text for token in tokens)  # bearer JWTs stay out too


@pytest.mark.parametrize(
    "credentials",
    [
        CoinbaseCredentials(
            api_key_name=COINBASE_KEY,
            private_key="-----BEGIN EC PRIVATE KEY-----\nnotAKeyCANARYsecret0123456789\n-----END EC PRIVATE KEY-----",
        ),  # type: ignore[arg-type]
        CoinbaseCredentials(api_key_name=COINBASE_KEY, private_key="notAKeyCANARYsecret0123456789"),  # type: ignore[arg-type]
        KrakenCredentials(api_key=KRAKEN_KEY, api_secret="notAKeyCANARYsecret0123456789!"),  # type: ignore[arg-type]
    ],
    ids=["coinbase-bad-pem", "coinbase-not-a-key", "kraken-not-base64"],
)
def test_unusable_secret_is_refused_before_any_request(
    logs: pytest.LogCaptureFixture, credentials: BrokerCredentials
) -> None:
    replay = Replay()  # nothing recorded: any request fails
    with override_client_settings(adapter=replay), pytest.raises(BrokerAuthFailed) as raised:
        check_credentials(credentials, user_id="user-1")
    replay.assert_done()
    assert not replay.requests
    text = "".join(traceback.format_exception(raised.value))
    assert "notAKeyCANARYsecret" not in text and "notAKeyCANARYsecret" not in logs.text


def test_clients_never_show_secrets_in_repr() -> None:
    from nija.adapters.brokers.alpaca_client import build_trading_client
    from nija.adapters.brokers.ccxt_client import build_exchange

    for name, credentials in CREDENTIALS.items():
        client = (
            build_trading_client(credentials)  # type: ignore[arg-type]
            if name == "alpaca"
            else build_exchange(credentials)  # type: ignore[arg-type]
        )
        assert_no_secret(client)
        assert_no_secret(credentials)


def test_paper_key_check_reads_the_paper_book(aws: None, logs: pytest.LogCaptureFixture) -> None:
    from nija import wiring

    wiring.broker(BrokerName.PAPER).seed_balances("user-1", {"USD": D("10000"), "BTC": D("0")})  # type: ignore[attr-defined]
    check = check_credentials(
        PaperCredentials(api_key="paper-key", api_secret=PAPER_SECRET),  # type: ignore[arg-type]
        user_id="user-1",
    )
    assert check.permission == Permission(read=True, trade=True, withdraw=False)
    assert balances(check) == {"USD": (D("10000"), D("10000"))}
    assert_no_secret(check)


def test_importing_the_key_check_loads_no_broker_library() -> None:
    code = (
        "import sys, nija.adapters.brokers.key_check, nija.adapters.brokers.ccxt_client, "
        "nija.adapters.brokers.alpaca_client;"
        "print(*[m for m in ('ccxt', 'alpaca', 'pandas') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "", f"loaded at import: {done.stdout}"
