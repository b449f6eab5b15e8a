"""Run in a subprocess by test_layer_imports.py: import a broker's executor path and sign one request.

    python -S layer_smoke.py <broker>...   (PYTHONPATH = the function's layers, built for this machine)
    python layer_smoke.py <broker>...      (the development venv: the full, untrimmed libraries)

It imports the function's handler ($NIJA_SMOKE_HANDLER), then for each broker builds the broker
through nija.wiring, and a client with the user's keys through nija's own builder (ccxt_client.
build_exchange, alpaca_client.build_trading_client), and reads the balances. No request leaves the process: the transport records
the first request (method, URL, body, and the headers that carry the signature) and fails it.
The report, one JSON object on stdout ({broker: findings}), is compared between the two runs by
the test. Coinbase signs with the PEM key in $NIJA_SMOKE_PEM, the others with a fixed secret.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

FIXED_MS = 1_700_000_000_000  # ccxt's clock, so that a nonce (and so a signature) is repeatable
SIGNATURE_HEADERS = ("API-Key", "API-Sign", "X-MBX-APIKEY", "APCA-API-KEY-ID", "APCA-API-SECRET-KEY")


def _capture() -> tuple[Any, list[dict[str, Any]]]:
    from requests.adapters import BaseAdapter
    from requests.exceptions import ConnectionError as Dropped

    seen: list[dict[str, Any]] = []

    class Capture(BaseAdapter):
        def send(self, request: Any, **kwargs: Any) -> Any:
            body = request.body.decode() if isinstance(request.body, bytes) else request.body
            seen.append(
                {
                    "method": request.method,
                    "url": request.url,
                    "body": body,
                    "headers": {k: v for k, v in request.headers.items() if k in SIGNATURE_HEADERS},
                    "authorization": request.headers.get("Authorization"),
                }
            )
            raise Dropped("layer smoke: no network")

        def close(self) -> None:
            pass

    return Capture(), seen


def _coinbase_jwt(token: str, public_pem: str) -> dict[str, Any]:
    import jwt

    claims = jwt.decode(token, public_pem, algorithms=["ES256"], options={"verify_aud": False})
    return {"sub": claims["sub"], "uri": claims["uri"], "alg": "ES256 verified"}


SECRET = base64.b64encode(bytes(range(64))).decode()  # kraken wants base64; any text for the others


def main(broker_names: list[str]) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("handler", os.environ["NIJA_SMOKE_HANDLER"])
    assert spec and spec.loader
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return {name: check(name) for name in broker_names}


def check(broker_name: str) -> dict[str, Any]:
    from nija import wiring
    from nija.adapters.brokers import ClientSettings
    from nija.domain.models import BrokerName

    report: dict[str, Any] = {}
    broker = BrokerName(broker_name)
    report["adapter"] = type(wiring.broker(broker)).__name__
    if broker is BrokerName.PAPER:  # no client library, no layer: nothing more to import
        return report
    adapter, seen = _capture()
    settings = ClientSettings(adapter=adapter, enable_rate_limit=False, timeout_s=1)
    secret = os.environ["NIJA_SMOKE_PEM"] if broker is BrokerName.COINBASE else SECRET

    if broker is BrokerName.ALPACA:
        from nija.adapters.brokers.alpaca_client import build_trading_client
        from nija.domain.credentials import AlpacaCredentials

        client = build_trading_client(
            AlpacaCredentials(key_id="PKSMOKE", secret_key=secret, paper=True), settings=settings
        )
        try:
            client.get_account()
        except Exception as exc:  # the capture fails every request
            report["error"] = type(exc).__name__
        report["pandas_loaded"] = "pandas" in sys.modules
        from datetime import date

        from alpaca.trading.requests import GetCorporateAnnouncementsRequest

        # The one use of pandas in alpaca.trading: still works, loading pandas on first use.
        GetCorporateAnnouncementsRequest(
            ca_types=["dividend"], since=date(2025, 1, 1), until=date(2025, 2, 1)
        )
        report["pandas_loaded_after_validator"] = "pandas" in sys.modules
    else:
        from nija.adapters.brokers.ccxt_client import EXCHANGE_IDS, build_exchange, fetch_balances
        from nija.domain.credentials import BinanceCredentials, CoinbaseCredentials, KrakenCredentials

        if broker is BrokerName.COINBASE:
            credentials: Any = CoinbaseCredentials(
                api_key_name="organizations/smoke/apiKeys/smoke", private_key=secret
            )
        elif broker is BrokerName.KRAKEN:
            credentials = KrakenCredentials(api_key="smoke-key", api_secret=secret)
        else:
            credentials = BinanceCredentials(api_key="smoke-key", api_secret=secret)
        exchange = build_exchange(credentials, settings=settings)
        exchange.milliseconds = lambda: FIXED_MS
        exchange.nonce = lambda: FIXED_MS
        try:
            fetch_balances(exchange)
        except Exception as exc:  # the capture fails every request
            report["error"] = type(exc).__name__
        report["exchange"] = type(exchange).__name__
        import ccxt

        report["ccxt_exchanges"] = sorted(
            name for name in EXCHANGE_IDS.values() if f"ccxt.{name}" in sys.modules
        )
        report["ccxt_modules_loaded"] = sum(1 for m in sys.modules if m.startswith("ccxt."))
        report["ccxt_exports"] = sorted(ccxt.exchanges)
    for request in seen:
        token = request.pop("authorization")
        if token and broker is BrokerName.COINBASE:
            request["jwt"] = _coinbase_jwt(token.removeprefix("Bearer "), os.environ["NIJA_SMOKE_PUBLIC"])
    report["requests"] = seen
    report["ccxt_file"] = _where("ccxt")
    report["alpaca_file"] = _where("alpaca")
    return report


def _where(module: str) -> str | None:
    loaded = sys.modules.get(module)
    return str(Path(loaded.__file__).resolve()) if loaded and loaded.__file__ else None


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:]), sort_keys=True))
