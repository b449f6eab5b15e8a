"""The broker adapters (the Broker port) on the real ccxt and alpaca-py clients.

Every request the clients build and sign goes through the replay transport (tests/fixtures/
brokers), which checks it against the recorded interaction and the broker's signing scheme and
answers with the broker's recorded response (tests/fixtures/brokers/<broker>/adapter_*.json, each
written from the broker's documented format, its "source"). Nothing reaches the network.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fixtures.brokers import signing
from fixtures.brokers.replay import Replay, Verifier, recording

from nija.adapters.brokers import override_client_settings
from nija.adapters.brokers.alpaca_broker import AlpacaBroker
from nija.adapters.brokers.capabilities import CAPABILITIES
from nija.adapters.brokers.ccxt_broker import CcxtBroker
from nija.adapters.brokers.ccxt_exchange_accounts import kraken_client_order_id
from nija.adapters.brokers.key_check import check_credentials
from nija.domain.credentials import (
    AlpacaCredentials,
    BinanceCredentials,
    BrokerCredentials,
    CoinbaseCredentials,
    KrakenCredentials,
)
from nija.domain.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerRateLimited,
    BrokerTemporaryError,
    InsufficientFunds,
    InvalidOrder,
    NotFound,
    OrderNotFound,
    UnknownOutcome,
)
from nija.domain.models import BrokerName, OrderType, Side
from nija.domain.orders import OrderStatus
from nija.ports.broker import Broker, BrokerOrder, BrokerOrderRequest

# Load the real clients at collection time, so no test pays for the first import.
pytest.importorskip("ccxt.coinbase")
pytest.importorskip("ccxt.kraken")
pytest.importorskip("ccxt.binance")
pytest.importorskip("alpaca.trading.client")

D = Decimal
COID_MARKET = "nj4f1c0e9a7b3d5c2e8f6a1b0c9d8e7f"
COID_LIMIT = "nj0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c"
COID_MISSING = "nj7e6d5c4b3a29181706f5e4d3c2b1a0"

KRAKEN_KEY = "kraken-public-key-0002"
KRAKEN_SECRET = base64.b64encode(b"kraken-adapter-secret-" + bytes(range(42))).decode()
BINANCE_KEY = "binance-public-key-0002"
BINANCE_SECRET = "binanceAdapterSecret9f8e7d6c5b4a39281716151413121110"
ALPACA_KEY = "PKADAPTERKEYID0002"
ALPACA_SECRET = "alpacaAdapterSecretZ9Y8X7W6V5U4T3S2R1Q0p9o8"
COINBASE_KEY = "organizations/0f7d2c1e-org/apiKeys/9a8b7c6d-key"
_KEY = ec.generate_private_key(ec.SECP256R1())
COINBASE_PEM = _KEY.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
).decode()


def _body(request: requests.PreparedRequest) -> str:
    body = request.body or b""
    return body.decode() if isinstance(body, bytes) else str(body)


def _public(request: requests.PreparedRequest, *headers: str) -> None:
    """A public request (markets, tickers) is made by the client without keys."""
    for header in headers:
        assert header not in request.headers, f"a public request carried {header}"


def binance_verifier(api_key: str, api_secret: str) -> Verifier:
    """The query (GET, DELETE) or the form body (POST) ends with its HMAC-SHA256 signature."""

    def verify(request: requests.PreparedRequest) -> None:
        payload = urlsplit(request.url or "").query if request.method in ("GET", "DELETE") else _body(request)
        if "signature=" not in payload:
            return _public(request, "X-MBX-APIKEY")
        assert request.headers.get("X-MBX-APIKEY") == api_key, "X-MBX-APIKEY header"
        signed, _, signature = payload.rpartition("&signature=")
        assert "timestamp" in parse_qs(signed), "timestamp parameter"
        assert signature == hmac.new(api_secret.encode(), signed.encode(), hashlib.sha256).hexdigest()

    return verify


def private_only(verify: Verifier, public_prefix: str, *auth_headers: str) -> Verifier:
    def check(request: requests.PreparedRequest) -> None:
        if urlsplit(request.url or "").path.startswith(public_prefix):
            return _public(request, *auth_headers)
        return verify(request)

    return check


@dataclass(frozen=True)
class Venue:
    broker: BrokerName
    credentials: BrokerCredentials
    verify: Verifier
    market: tuple[str, Decimal]  # symbol, quantity of the market buy
    limit: tuple[str, Decimal, Decimal]  # symbol, quantity, price of the resting limit buy
    uses_markets: bool = True

    @property
    def name(self) -> str:
        return self.broker.value

    def new_broker(self, credentials: Callable[[str], BrokerCredentials] | None = None) -> Broker:
        read = credentials or (lambda user_id: self.credentials)
        if self.broker is BrokerName.ALPACA:
            return AlpacaBroker(read)
        return CcxtBroker(self.broker, read)


VENUES = {
    v.name: v
    for v in (
        Venue(
            BrokerName.COINBASE,
            CoinbaseCredentials(api_key_name=COINBASE_KEY, private_key=COINBASE_PEM),  # type: ignore[arg-type]
            private_only(
                signing.coinbase(COINBASE_KEY, _KEY.public_key()),
                "/api/v3/brokerage/market/",
                "Authorization",
            ),
            market=("BTC/USD", D("0.001")),
            limit=("ETH/USD", D("0.05"), D("2950.25")),
        ),
        Venue(
            BrokerName.KRAKEN,
            KrakenCredentials(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET),  # type: ignore[arg-type]
            private_only(signing.kraken(KRAKEN_KEY, KRAKEN_SECRET), "/0/public/", "API-Key", "API-Sign"),
            market=("BTC/USD", D("0.001")),
            limit=("ETH/USD", D("0.05"), D("2950.25")),
        ),
        Venue(
            BrokerName.BINANCE,
            BinanceCredentials(api_key=BINANCE_KEY, api_secret=BINANCE_SECRET),  # type: ignore[arg-type]
            binance_verifier(BINANCE_KEY, BINANCE_SECRET),
            market=("BTC/USDT", D("0.001")),
            limit=("BTC/USDT", D("0.002"), D("60000.5")),
        ),
        Venue(
            BrokerName.ALPACA,
            AlpacaCredentials(key_id=ALPACA_KEY, secret_key=ALPACA_SECRET, paper=True),  # type: ignore[arg-type]
            signing.alpaca(ALPACA_KEY, ALPACA_SECRET),
            market=("AAPL/USD", D("0.5")),
            limit=("BTC/USD", D("0.002"), D("60000.5")),
            uses_markets=False,
        ),
    )
}
NAMES = list(VENUES)
CCXT = [n for n in NAMES if VENUES[n].uses_markets]


@contextmanager
def replaying(venue: Venue, *cases: str, markets: bool = True) -> Iterator[Replay]:
    """The venue's markets (ccxt venues) then the cases' interactions, all of them requested."""
    replay = Replay(venue.verify)
    if markets and venue.uses_markets:
        replay.load(venue.name, "adapter_markets")
    replay.load(venue.name, *cases)
    with override_client_settings(adapter=replay, enable_rate_limit=False, timeout_s=5.0):
        yield replay
    replay.assert_done()


def market_buy(venue: Venue) -> BrokerOrderRequest:
    symbol, quantity = venue.market
    return BrokerOrderRequest(
        client_order_id=COID_MARKET, symbol=symbol, side=Side.BUY, type=OrderType.MARKET, quantity=quantity
    )


def limit_buy(venue: Venue) -> BrokerOrderRequest:
    symbol, quantity, price = venue.limit
    return BrokerOrderRequest(
        client_order_id=COID_LIMIT,
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.LIMIT,
        quantity=quantity,
        limit_price=price,
    )


def sent_params(request: requests.PreparedRequest) -> dict[str, Any]:
    """What a request carried: its query, and its JSON or form body."""
    params: dict[str, Any] = {k: v[0] for k, v in parse_qs(urlsplit(request.url or "").query).items()}
    body = _body(request)
    if body.startswith("{"):
        params.update(json.loads(body))
    elif body:
        params.update({k: v[0] for k, v in parse_qs(body).items()})
    return params


def placements(replay: Replay) -> list[requests.PreparedRequest]:
    return [r for r in replay.requests if r.method == "POST" and urlsplit(r.url or "").path in PLACE_PATHS]


PLACE_PATHS = {"/api/v3/brokerage/orders", "/0/private/AddOrder", "/api/v3/order", "/v2/orders"}


def assert_filled(order: BrokerOrder, request: BrokerOrderRequest) -> None:
    assert order.status is OrderStatus.FILLED, order
    assert order.client_order_id == request.client_order_id
    assert order.symbol == request.symbol
    assert order.broker_order_id
    assert order.filled_quantity == request.quantity
    assert len(order.fills) >= 1
    ids = [f.trade_id for f in order.fills]
    assert all(ids) and len(set(ids)) == len(ids), ids
    assert sum(f.quantity for f in order.fills) == request.quantity
    assert all(isinstance(f.price, Decimal) and f.price > 0 for f in order.fills)


def exchange_id(venue: Venue, client_order_id: str) -> str:
    """Our client order id as the exchange carries it (kraken: a UUID5 of it)."""
    return kraken_client_order_id(client_order_id) if venue.broker is BrokerName.KRAKEN else client_order_id


def carries(request: requests.PreparedRequest, value: str) -> bool:
    return value in sent_params(request).values() or value in urlsplit(request.url or "").path


SECRETS = (
    KRAKEN_SECRET,
    BINANCE_SECRET,
    ALPACA_SECRET,
    *(line for line in COINBASE_PEM.splitlines() if "-----" not in line),
)


def assert_no_secret(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc)) + repr(exc)
    for secret in SECRETS:
        assert secret not in text


# --- orders ------------------------------------------------------------------------------------

EXPECTED_TRADE_IDS = {
    "coinbase": ["c7d1e5f3-8a2b-4c6d-9e0f-1a2b3c4d5e61", "c7d1e5f3-8a2b-4c6d-9e0f-1a2b3c4d5e62"],
    "kraken": ["TCCCTY-WE2O6-P3NB37", "TZX2WP-XSEOP-FP7WYR"],
    "binance": ["4822719301", "4822719302"],
    "alpaca": [
        "20260511093000512::8efc7b9a-8b2b-4000-9955-d36e7db0df74",
        "20260511093000618::9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
    ],
}
EXPECTED_FILLS = {  # (quantity, price, fee) of each trade, exactly as the exchange wrote them
    "coinbase": [(D("0.0006"), D("64250.1"), D("0.23130036")), (D("0.0004"), D("64250.2"), D("0.15420048"))],
    "kraken": [(D("0.0006"), D("64250.1"), D("0.15420")), (D("0.0004"), D("64250.2"), D("0.10280"))],
    "binance": [(D("0.0006"), D("64250.1"), D("0.0000006")), (D("0.0004"), D("64250.2"), D("0.0000004"))],
    "alpaca": [(D("0.3"), D("180.25"), D("0")), (D("0.2"), D("180.2625"), D("0"))],
}


def assert_expected_fills(name: str, order: BrokerOrder) -> None:
    assert [f.trade_id for f in order.fills] == EXPECTED_TRADE_IDS[name]
    assert [(f.quantity, f.price, f.fee) for f in order.fills] == EXPECTED_FILLS[name]


@pytest.mark.parametrize("name", NAMES)
def test_market_buy_fills_with_the_exchanges_trade_ids(name: str) -> None:
    """Binance returns the fills with the order; coinbase and kraken are read back; Alpaca answers
    the placement before it fills (pending_new) and the look-up brings the fills."""
    venue = VENUES[name]
    request = market_buy(venue)
    with replaying(venue, "adapter_market_buy") as replay:
        account = venue.new_broker().account("user-1")
        placed = account.place_order(request)
        order = placed if placed.status is OrderStatus.FILLED else account.get_order(request.client_order_id)
    assert placed.status in (OrderStatus.FILLED, OrderStatus.ACCEPTED)
    assert order is not None and order.broker_order_id == placed.broker_order_id
    assert_filled(order, request)
    assert_expected_fills(name, order)
    assert len(placements(replay)) == 1


QUANTITY_PARAM = {
    "coinbase": lambda p: p["order_configuration"]["market_market_ioc"]["base_size"],
    "kraken": lambda p: p["volume"],
    "binance": lambda p: p["quantity"],
    "alpaca": lambda p: p["qty"],
}


@pytest.mark.parametrize("name", NAMES)
def test_the_order_carries_our_client_order_id_in_the_exchanges_parameter(name: str) -> None:
    venue = VENUES[name]
    with replaying(venue, "adapter_market_buy") as replay:
        account = venue.new_broker().account("user-1")
        account.place_order(market_buy(venue))
        if venue.broker is BrokerName.ALPACA:
            account.get_order(COID_MARKET)
    (placement,) = placements(replay)
    params = sent_params(placement)
    param = CAPABILITIES[venue.broker].client_order_id_param
    assert param is not None and params[param] == exchange_id(venue, COID_MARKET)
    assert not {"clientOrderId", "newClientOrderId", "client_order_id", "cl_ord_id"} - {param} & set(params)
    assert QUANTITY_PARAM[name](params) == str(venue.market[1])  # the exact decimal text, never a float


def test_kraken_gets_a_stable_uuid_for_a_client_order_id_it_would_refuse() -> None:
    """Kraken's cl_ord_id is a UUID (long, or 32 hex digits) or at most 18 characters of text."""
    derived = kraken_client_order_id(COID_MARKET)
    assert derived == kraken_client_order_id(COID_MARKET) != kraken_client_order_id(COID_LIMIT)
    assert len(derived) == 32 and int(derived, 16) >= 0
    for accepted in (
        "6d1b345e-2821-40e2-ad83-4ecb18a06876",
        "da8e4ad59b78481c93e589746b0cf91f",
        "arb-20240509-00010",
    ):
        assert kraken_client_order_id(accepted) == accepted


@pytest.mark.parametrize("name", NAMES)
def test_limit_order_is_accepted_and_rests(name: str) -> None:
    venue = VENUES[name]
    request = limit_buy(venue)
    with replaying(venue, "adapter_limit") as replay:
        order = venue.new_broker().account("user-1").place_order(request)
    assert order.status is OrderStatus.ACCEPTED
    assert order.status.is_open and order.fills == () and order.filled_quantity == 0
    assert (order.client_order_id, order.symbol) == (request.client_order_id, request.symbol)
    assert order.broker_order_id
    params = sent_params(placements(replay)[0])
    price = params.get("price") or params.get("limit_price")
    if price is None:
        price = params["order_configuration"]["limit_limit_gtc"]["limit_price"]
    assert price == str(venue.limit[2])


@pytest.mark.parametrize("name", NAMES)
def test_get_order_finds_the_order_by_client_order_id(name: str) -> None:
    venue = VENUES[name]
    with replaying(venue, "adapter_find"):
        order = venue.new_broker().account("user-1").get_order(COID_MARKET)
    assert order is not None
    assert_filled(order, market_buy(venue))
    assert_expected_fills(name, order)


@pytest.mark.parametrize("name", NAMES)
def test_get_order_of_an_unknown_client_order_id_is_none(name: str) -> None:
    venue = VENUES[name]
    with replaying(venue, "adapter_not_found"):
        assert venue.new_broker().account("user-1").get_order(COID_MISSING) is None


@pytest.mark.parametrize("name", NAMES)
def test_cancel_by_client_order_id(name: str) -> None:
    venue = VENUES[name]
    with replaying(venue, "adapter_cancel") as replay:
        order = venue.new_broker().account("user-1").cancel_order(COID_LIMIT)
    assert order.status is OrderStatus.CANCELED
    assert (order.client_order_id, order.symbol) == (COID_LIMIT, venue.limit[0])
    assert order.fills == ()
    assert any(r.method in ("DELETE", "POST") for r in replay.requests)


@pytest.mark.parametrize("name", NAMES)
def test_cancel_of_an_order_the_exchange_does_not_have_is_order_not_found(name: str) -> None:
    venue = VENUES[name]
    with replaying(venue, "adapter_not_found"), pytest.raises(OrderNotFound):
        venue.new_broker().account("user-1").cancel_order(COID_MISSING)


@pytest.mark.parametrize("name", NAMES)
def test_a_timeout_placing_is_an_unknown_outcome_and_the_look_up_finds_the_one_order(name: str) -> None:
    """What the executor does: UnknownOutcome, then get_order by client order id before any retry.
    The exchange saw exactly one placement, and the order is found with its fills."""
    venue = VENUES[name]
    request = market_buy(venue)
    with replaying(venue, "adapter_place_timeout") as replay:
        account = venue.new_broker().account("user-1")
        with pytest.raises(UnknownOutcome) as raised:
            account.place_order(request)
        found = account.get_order(request.client_order_id)
    assert raised.value.retryable
    assert_no_secret(raised.value)
    assert found is not None
    assert_filled(found, request)
    assert len(placements(replay)) == 1


@pytest.mark.parametrize("name", ["coinbase", "kraken"])
def test_an_order_taken_but_not_read_back_is_reported_accepted(name: str) -> None:
    """The exchange took the order and then failed the read-back: never an error (the executor
    would reject an order that exists); accepted, with its id, for the sync to read later."""
    venue = VENUES[name]
    placed, read_back = recording(name, "adapter_limit")["interactions"]
    with replaying(venue) as replay:
        replay.pending.extend([placed, {"request": read_back["request"], "raise": "ConnectionError"}])
        order = venue.new_broker().account("user-1").place_order(limit_buy(venue))
    assert order.status is OrderStatus.ACCEPTED and order.fills == ()
    assert order.broker_order_id in json.dumps(placed["response"]["json"])


REFUSALS = [
    ("adapter_insufficient_funds", InsufficientFunds),
    ("adapter_invalid_order", InvalidOrder),
    ("adapter_rate_limited", BrokerRateLimited),
    ("adapter_unavailable", BrokerTemporaryError),
]


@pytest.mark.parametrize(
    ("name", "case", "error"),
    [(n, c, e) for n in NAMES for c, e in REFUSALS],
    ids=[f"{n}-{c.removeprefix('adapter_')}" for n in NAMES for c, _ in REFUSALS],
)
def test_refusals_placing_map_onto_the_taxonomy(name: str, case: str, error: type[BrokerError]) -> None:
    venue = VENUES[name]
    with replaying(venue, case) as replay, pytest.raises(BrokerError) as raised:
        venue.new_broker().account("user-1").place_order(market_buy(venue))
    assert type(raised.value) is error, repr(raised.value)
    assert raised.value.message.startswith(name), raised.value.message
    assert_no_secret(raised.value)
    assert len(placements(replay)) == 1


# --- numbers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "symbol", "quantity", "price"),
    [
        ("binance", "BTC/USDT", D("0.000015"), None),  # stepSize 0.00001
        ("kraken", "BTC/USD", D("0.001"), D("64250.15")),  # pair_decimals 1
        ("coinbase", "BTC/USD", D("0.000000001"), None),  # base_increment 0.00000001
        ("binance", "DOGE/USDT", D("10"), None),  # not one of the markets loaded
    ],
)
def test_numbers_the_exchange_would_round_are_refused_before_anything_is_sent(
    name: str, symbol: str, quantity: Decimal, price: Decimal | None
) -> None:
    venue = VENUES[name]
    request = BrokerOrderRequest(
        client_order_id=COID_MARKET,
        symbol=symbol,
        side=Side.BUY,
        type=OrderType.LIMIT if price else OrderType.MARKET,
        quantity=quantity,
        limit_price=price,
    )
    with replaying(venue) as replay, pytest.raises(InvalidOrder):
        venue.new_broker().account("user-1").place_order(request)
    assert placements(replay) == []


# --- capabilities ------------------------------------------------------------------------------

PUBLIC_PATHS = ("/api/v3/brokerage/market/", "/0/public/", "/api/v3/exchangeInfo")
CANCEL_REQUEST = {
    "coinbase": ("POST", "/api/v3/brokerage/orders/batch_cancel"),
    "kraken": ("POST", "/0/private/CancelOrder"),
    "binance": ("DELETE", "/api/v3/order"),
    "alpaca": ("DELETE", "/v2/orders/"),
}


@pytest.mark.parametrize("name", NAMES)
def test_capability_flags_match_what_the_adapter_does(name: str) -> None:
    venue = VENUES[name]
    caps = CAPABILITIES[venue.broker]
    assert caps.broker is venue.broker and caps.market_orders and caps.limit_orders

    with replaying(venue, "adapter_find") as replay:  # the look-up names our id, or scans
        venue.new_broker().account("user-1").get_order(COID_MARKET)
    lookup = next(r for r in replay.requests if not urlsplit(r.url or "").path.startswith(PUBLIC_PATHS))
    assert carries(lookup, exchange_id(venue, COID_MARKET)) is caps.lookup_by_client_order_id

    with replaying(venue, "adapter_cancel") as replay:
        venue.new_broker().account("user-1").cancel_order(COID_LIMIT)
    method, path = CANCEL_REQUEST[name]
    (cancel,) = [r for r in replay.requests if r.method == method and path in (r.url or "")]
    assert carries(cancel, exchange_id(venue, COID_LIMIT)) is caps.cancel_by_client_order_id

    assert caps.fractional and venue.market[1] < 1  # the market buys above are fractional
    assert caps.supports_client_order_id and caps.client_order_id_param  # the placement test reads it

    if venue.uses_markets:  # the exchange's own minimum order value on our instruments
        broker = venue.new_broker()
        assert isinstance(broker, CcxtBroker)
        with replaying(venue, markets=False) as replay:
            replay.load(name, "adapter_markets")
            markets = broker.markets().markets
        minimums = {D(str(m["limits"]["cost"]["min"])) for m in markets.values()}
        assert minimums == {caps.min_notional}

    replay = Replay(venue.verify)
    replay.pending.extend(recording(name, "ok")["interactions"])
    with override_client_settings(adapter=replay, enable_rate_limit=False):
        permission = check_credentials(venue.credentials, user_id="user-1").permission
    reported = permission.trade is not None and permission.withdraw is not None
    assert reported is caps.reports_permissions


def test_paper_capabilities_are_those_of_the_reference_adapter() -> None:
    paper = CAPABILITIES[BrokerName.PAPER]
    assert (
        paper.supports_client_order_id and paper.lookup_by_client_order_id and paper.cancel_by_client_order_id
    )
    assert set(CAPABILITIES) == set(BrokerName)


# --- balances, prices, accounts ----------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_balances_come_from_the_account(name: str) -> None:
    """The key check's recordings: the adapter reads balances the same way (no markets needed)."""
    venue = VENUES[name]
    replay = Replay(venue.verify)
    interactions = recording(name, "ok")["interactions"]
    replay.pending.extend(interactions if name == "alpaca" else interactions[:1])
    with override_client_settings(adapter=replay, enable_rate_limit=False):
        balances = venue.new_broker().account("user-1").balances()
    replay.assert_done()
    assert balances and all(b.total >= b.free >= 0 for b in balances.values())


@pytest.mark.parametrize("name", CCXT)
def test_mark_price_is_the_public_last_price_cached_for_a_few_seconds(name: str) -> None:
    venue = VENUES[name]
    now = [100.0]
    broker = CcxtBroker(venue.broker, lambda user_id: venue.credentials, clock=lambda: now[0])
    (ticker,) = recording(name, "adapter_ticker")["interactions"]
    with replaying(venue, "adapter_ticker") as replay:
        assert broker.mark_price(venue.market[0]) == D("64250.1")
        assert broker.mark_price(venue.market[0]) == D("64250.1")  # cached: no second request
        now[0] += 10  # expired, and now the exchange does not answer: None, itself cached
        replay.pending.append({"request": ticker["request"], "raise": "ConnectTimeout"})
        assert broker.mark_price(venue.market[0]) is None
        assert broker.mark_price(venue.market[0]) is None
    assert all(not r.headers.get("Authorization") for r in replay.requests)


def test_alpaca_has_no_mark_price() -> None:
    assert VENUES["alpaca"].new_broker().mark_price("AAPL/USD") is None


def test_accounts_are_cached_per_user_and_keys_with_a_bound() -> None:
    keys = {"user-1": KrakenCredentials(api_key=KRAKEN_KEY, api_secret=KRAKEN_SECRET)}  # type: ignore[arg-type]
    broker = CcxtBroker(BrokerName.KRAKEN, lambda user_id: keys[user_id], max_accounts=2)
    first = broker.account("user-1")
    assert broker.account("user-1") is first
    rotated = base64.b64encode(b"kraken-rotated-secret-" + bytes(range(42))).decode()
    keys["user-1"] = KrakenCredentials(api_key=KRAKEN_KEY, api_secret=rotated)  # type: ignore[arg-type]
    second = broker.account("user-1")
    assert second is not first and broker.account("user-1") is second
    for user in ("user-2", "user-3"):
        keys[user] = keys["user-1"]
        broker.account(user)
    assert len(broker._accounts) == 2  # the least recently used went
    assert broker.account("user-1") is not second


def test_keys_of_another_broker_or_no_keys_are_refused() -> None:
    def missing(user_id: str) -> BrokerCredentials:
        raise NotFound("no kraken credentials are stored for this user")

    with pytest.raises(BrokerAuthFailed) as raised:
        CcxtBroker(BrokerName.KRAKEN, missing).account("user-1")
    assert raised.value.code == "broker_not_connected"
    with pytest.raises(BrokerAuthFailed):
        CcxtBroker(BrokerName.KRAKEN, lambda user_id: VENUES["binance"].credentials).account("user-1")
    with pytest.raises(BrokerAuthFailed):
        AlpacaBroker(lambda user_id: VENUES["kraken"].credentials).account("user-1")


def test_wiring_opens_real_brokers_with_the_users_keys_from_the_vault(aws: None) -> None:
    """wiring.broker(name) reads each user's keys through vault_reader() (the vault's own tests
    cover that reader), on first use of the account, not when the broker is built. Its requests
    take their tokens from the broker's budgets in the state table (moto here)."""
    from nija import wiring

    reads: list[tuple[str, BrokerName]] = []

    class Reader:
        def read(self, user_id: str, broker: BrokerName) -> BrokerCredentials:
            reads.append((user_id, broker))
            if user_id != "user-1":
                raise NotFound(f"no {broker.value} credentials are stored for this user")
            return VENUES[broker.value].credentials

    # A container of its own, its vault reader this test's; dropped at the end.
    with pytest.MonkeyPatch.context() as patch:
        wiring.reset()
        patch.setattr(wiring.container(), "vault_reader", Reader())
        try:
            kraken, alpaca = wiring.broker(BrokerName.KRAKEN), wiring.broker(BrokerName.ALPACA)
            assert isinstance(kraken, CcxtBroker) and isinstance(alpaca, AlpacaBroker) and reads == []
            replay = Replay(VENUES["kraken"].verify)
            replay.pending.extend(recording("kraken", "ok")["interactions"])
            with override_client_settings(adapter=replay, enable_rate_limit=False):
                assert kraken.account("user-1").balances()["BTC"].total == D("1.2435")
            replay.assert_done()
            with pytest.raises(BrokerAuthFailed) as raised:
                alpaca.account("user-2")
            assert raised.value.code == "broker_not_connected"
            assert reads == [("user-1", BrokerName.KRAKEN), ("user-2", BrokerName.ALPACA)]
        finally:
            wiring.reset()


def test_importing_the_adapters_loads_no_broker_library() -> None:
    """wiring imports an adapter only for its broker, and the adapter its library only when it
    builds a client: `import ccxt` loads every exchange, alpaca-py's trading module loads pandas."""
    code = (
        "import sys, nija.adapters.brokers.ccxt_broker, nija.adapters.brokers.alpaca_broker;"
        "print(*[m for m in ('ccxt', 'alpaca', 'pandas') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "", f"loaded at import: {done.stdout}"
