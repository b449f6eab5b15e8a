"""The strategy scan on moto, through its handler: shared market reads, per-user decisions, intents
on the FIFO queue, idempotent per candle, nothing for halted or disabled users."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.paper.broker import PaperBroker
from nija.config import get_settings
from nija.domain.market import Candle
from nija.domain.models import BrokerName, User
from nija.domain.risk import TradingMode
from nija.domain.settings import StrategySettings, scan_shard
from nija.domain.switches import SwitchScope
from nija.local import identity
from nija.local.lambda_runtime import LambdaContext, load_event, load_function
from nija.logic.scan import Scanner

PAPER = BrokerName.PAPER
NOW = datetime(2026, 11, 25, 12, 0, 30).astimezone()


class Series:
    """A market that falls, then turns up: RSI_9 crosses up out of oversold on the last closed
    candle while RSI_14 is still below 50 — an entry for every flat user."""

    def __init__(self) -> None:
        self.fetches = 0

    def candles(self, symbol: str, timeframe: str, limit: int, until: datetime | None = None) -> list[Candle]:
        self.fetches += 1
        closes = [Decimal(100 - i) for i in range(60)] + [Decimal(41), Decimal(44), Decimal(48)]
        start = NOW.replace(second=0, microsecond=0) - timedelta(minutes=5 * len(closes))
        return [
            Candle(
                timestamp=start + timedelta(minutes=5 * i), open=c, high=c, low=c, close=c, volume=Decimal(1)
            )
            for i, c in enumerate(closes)
        ]

    def price(self, symbol: str, at: datetime | None = None) -> Decimal:
        return Decimal(48)


def settings_for(*symbols: str) -> StrategySettings:
    return StrategySettings(enabled=True, brokers=(PAPER,), symbols=symbols or ("BTC/USD",), timeframe="5m")


def user(n: int) -> str:
    return f"{n:08d}-0000-4000-8000-000000000000"


@pytest.fixture
def scan(aws: None) -> Iterator[tuple[Scanner, Series, list[str]]]:
    """Users in one shard with paper accounts and enabled settings, and a scanner over them."""
    from nija.adapters.dynamo.scan import DynamoPlatformModes, DynamoUserStates
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.logic.sizing import EquitySizer

    settings = DynamoStrategySettings()
    shard = scan_shard(user(0))
    members = [u for u in (user(i) for i in range(40)) if scan_shard(u) == shard][:3]
    paper = wiring.broker(PAPER)
    assert isinstance(paper, PaperBroker)
    for u in members:
        wiring.store().put_user(User(user_id=u, email=f"{u[:8]}@example.com"))
        paper.seed_balances(u, {"USD": Decimal("10000")})
        identity.connect_paper(u)
        settings.put(u, settings_for("BTC/USD", "ETH/USD"))
    series = Series()
    scanner = Scanner(
        users=settings,
        states=DynamoUserStates(),
        platform=DynamoPlatformModes(),
        market=lambda broker: series,
        sizer=EquitySizer(wiring.risk_store(), wiring.broker),
        store=wiring.store(),
        queue=wiring.order_queue(),
        audit=wiring.store(),
        clock=lambda: NOW,
    )
    yield scanner, series, members


def queued() -> list[dict[str, Any]]:
    url = queue_url(get_settings().catalogue.queue(PAPER).name)
    out: list[dict[str, Any]] = []
    while batch := client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        out += batch
    return out


def test_one_read_per_series_and_an_entry_for_every_flat_user(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    scanner, series, members = scan
    report = scanner.run(scan_shard(members[0]), PAPER)
    assert (report.users, report.series, report.fetches, series.fetches) == (len(members), 2, 2, 2)
    assert report.evaluations == 2 * len(members)
    assert report.intents == 2 * len(members)
    messages = queued()
    assert len(messages) == 2 * len(members)
    orders = [o for u in members for o in wiring.store().list_orders(u, 10, None)[0]]
    assert {(o.side.value, o.type.value, o.status.value) for o in orders} == {("buy", "market", "queued")}
    # 5% of 10,000 USD at the last close of 48, rounded down to the instrument's step
    btc = next(o for o in orders if o.symbol == "BTC/USD")
    assert btc.quantity == Decimal("10.41666666")
    assert all(o.source.startswith("strategy:dual_rsi:5m:") for o in orders)
    (event,) = [e for e in wiring.store().events_for(members[0]) if e.action == "strategy.intent"][:1]
    assert event.actor == "strategy:dual_rsi"
    assert event.details["reason"] == "rsi_crossed_up_from_oversold"


def test_a_second_run_for_the_same_candle_makes_no_second_intent(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    scanner, _, members = scan
    shard = scan_shard(members[0])
    first = scanner.run(shard, PAPER)
    second = scanner.run(shard, PAPER)
    assert first.intents == 2 * len(members)
    assert second.intents == 0
    assert second.resent == 2 * len(members)  # still queued: sent again, and the queue drops them
    assert len(queued()) == 2 * len(members)
    assert sum(len(wiring.store().list_orders(u, 10, None)[0]) for u in members) == 2 * len(members)


def test_halted_and_disabled_users_get_no_intents(scan: tuple[Scanner, Series, list[str]]) -> None:
    scanner, _, members = scan
    halted, disabled, active = members
    wiring.controls().set_switch(halted, SwitchScope.USER, halted, True, TradingMode.HALTED)
    profile = wiring.store().get_user(disabled)
    assert profile is not None
    wiring.store().put_user(
        profile.model_copy(update={"trading_disabled_reason": "5 broker errors in a row"})
    )

    report = scanner.run(scan_shard(active), PAPER)
    assert report.skipped["halted_or_disabled"] == 4
    assert [u for u in members if wiring.store().list_orders(u, 10, None)[0]] == [active]
    assert len(queued()) == 2


def test_a_global_halt_stops_the_whole_scan(scan: tuple[Scanner, Series, list[str]]) -> None:
    scanner, series, members = scan
    wiring.controls().set_switch("admin", SwitchScope.GLOBAL, "global", True, TradingMode.HALTED)
    report = scanner.run(scan_shard(members[0]), PAPER)
    assert (report.intents, series.fetches, queued()) == (0, 0, [])


def test_the_scheduled_event_fans_out_over_every_shard(
    scan: tuple[Scanner, Series, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the local stack's mode (inline fan-out) the handler scans all 16 shards of its broker."""
    monkeypatch.setenv("NIJA_SCAN_FANOUT", "inline")
    from nija.config import reset_settings

    reset_settings()
    handler = load_function("strategy_scan", "test").handler
    context = LambdaContext("nija-test-scan-paper")
    assert handler(load_event("strategy_scan/scheduled"), context) == {
        "broker": "paper",
        "shards": 16,
        "dispatched": 16,
    }
    shard = handler(load_event("strategy_scan/shard"), context)
    assert (shard["broker"], shard["shard"]) == ("paper", 3)


def test_a_user_the_scan_cannot_size_is_skipped_and_counted_and_fails_nobody(
    scan: tuple[Scanner, Series, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As deployed, the scan function can read no broker keys (no vault key id, no secret read): a
    kraken user never valued yet is sized at the broker, which fails. Before, that failed the shard."""
    from nija.adapters.dynamo.settings import DynamoStrategySettings
    from nija.config import reset_settings

    scanner, _, members = scan
    valued, never_valued = members[0], members[1]
    store = DynamoStrategySettings()
    kraken = StrategySettings(
        enabled=True, brokers=(BrokerName.KRAKEN,), symbols=("BTC/USD",), timeframe="5m"
    )
    for u in (valued, never_valued):
        store.put(u, kraken)
    wiring.risk_store().record_equity(valued, "kraken", Decimal("10000"), NOW)
    monkeypatch.delenv("NIJA_VAULT_KEY_ID")  # the scan function's environment: no vault
    reset_settings()

    report = scanner.run(scan_shard(valued), BrokerName.KRAKEN)

    assert report.intents == 1 and dict(report.skipped) == {"broker_error": 1}
    (order,) = wiring.store().list_orders(valued, 10, None)[0]
    assert (order.broker, order.side.value) == (BrokerName.KRAKEN, "buy")
    assert wiring.store().list_orders(never_valued, 10, None)[0] == []


def test_a_series_without_market_data_skips_its_users_only(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    scanner, series, members = scan
    answer = series.candles

    def failing_for_eth(
        symbol: str, timeframe: str, limit: int, until: datetime | None = None
    ) -> list[Candle]:
        if symbol == "ETH/USD":
            raise ConnectionError("the exchange did not answer")
        return answer(symbol, timeframe, limit, until)

    series.candles = failing_for_eth  # type: ignore[method-assign]
    report = scanner.run(scan_shard(members[0]), PAPER)
    assert report.skipped["market_data_error"] == len(members)
    assert report.intents == len(members)  # BTC/USD's entries went out
