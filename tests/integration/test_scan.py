"""The strategy scan on moto, through its handler: shared market reads, per-user decisions, intents
on the FIFO queue, idempotent per candle, nothing for halted or disabled users."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client, queue_url
from nija.adapters.dynamo.settings import DynamoStrategySettings
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
from tests.kit import service_log

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
    from nija.logic.sizing import EquitySizer

    settings = DynamoStrategySettings()
    shard = scan_shard(user(0))
    members = [u for u in (user(i) for i in range(40)) if scan_shard(u) == shard][:3]
    paper = wiring.broker(PAPER)
    assert isinstance(paper, PaperBroker)
    for u in members:
        wiring.users().put_user(User(user_id=u, email=f"{u[:8]}@example.com"))
        paper.seed_balances(u, {"USD": Decimal("10000")})
        identity.connect_paper(u)
        settings.put(u, settings_for("BTC/USD", "ETH/USD"))
    wiring.broker_sync(PAPER).run()  # connecting made them due: the executor values their accounts
    series = Series()
    scanner = Scanner(
        users=settings,
        states=DynamoUserStates(),
        platform=DynamoPlatformModes(),
        market=lambda broker: series,
        sizer=EquitySizer(wiring.risk_store()),
        orders=wiring.orders(),
        queue=wiring.order_queue(),
        telemetry=wiring.telemetry(),
        clock=lambda: NOW,
    )
    yield scanner, series, members


@pytest.fixture
def scan_log() -> Iterator[io.StringIO]:
    """The scan's own log lines (Powertools, service "nija-test"), as the function writes them."""
    with service_log() as lines:
        yield lines


def queued() -> list[dict[str, Any]]:
    url = queue_url(get_settings().catalogue.queue(PAPER).name)
    out: list[dict[str, Any]] = []
    while batch := client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        out += batch
    return out


def test_one_read_per_series_and_an_entry_for_every_flat_user(
    scan: tuple[Scanner, Series, list[str]], audit_writer: Callable[[], None]
) -> None:
    scanner, series, members = scan
    report = scanner.run(scan_shard(members[0]), PAPER)
    assert (report.users, report.series, report.fetches, series.fetches) == (len(members), 2, 2, 2)
    assert report.evaluations == 2 * len(members)
    assert report.intents == 2 * len(members)
    messages = queued()
    assert len(messages) == 2 * len(members)
    orders = [o for u in members for o in wiring.orders().list_orders(u, 10, None)[0]]
    assert {(o.side.value, o.type.value, o.status.value) for o in orders} == {("buy", "market", "queued")}
    # 5% of 10,000 USD at the last close of 48, rounded down to the instrument's step
    btc = next(o for o in orders if o.symbol == "BTC/USD")
    assert btc.quantity == Decimal("10.41666666")
    assert all(o.source.startswith("strategy:dual_rsi:5m:") for o in orders)
    # Each intent's record is written with its order (the outbox), then appended by the audit writer.
    assert not [e for e in wiring.audit_records().events_for(members[0]) if e.action == "strategy.intent"]
    audit_writer()
    (event,) = [e for e in wiring.audit_records().events_for(members[0]) if e.action == "strategy.intent"][:1]
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
    assert sum(len(wiring.orders().list_orders(u, 10, None)[0]) for u in members) == 2 * len(members)


def test_halted_and_disabled_users_get_no_intents(scan: tuple[Scanner, Series, list[str]]) -> None:
    scanner, _, members = scan
    halted, disabled, active = members
    wiring.controls().set_switch(halted, SwitchScope.USER, halted, True, TradingMode.HALTED)
    profile = wiring.users().get_user(disabled)
    assert profile is not None
    wiring.users().put_user(
        profile.model_copy(update={"trading_disabled_reason": "5 broker errors in a row"})
    )

    report = scanner.run(scan_shard(active), PAPER)
    assert report.skipped["halted_or_disabled"] == 4
    assert [u for u in members if wiring.orders().list_orders(u, 10, None)[0]] == [active]
    assert len(queued()) == 2


def test_an_admins_permissions_skip_and_filter_users_and_cap_entries(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    """Trading off: no intent at all; a symbol not allowed: that series only; a value cap: the entry
    sized under it (5% of 10,000 USD would be 500)."""
    from nija.domain.permissions import UserPermissions

    scanner, series, members = scan
    off, eth_only, capped = members
    admin = wiring.permissions()
    admin.put("admin", off, UserPermissions(trading_enabled=False))
    admin.put("admin", eth_only, UserPermissions(allowed_symbols=("ETH/USD",)))
    admin.put("admin", capped, UserPermissions(max_order_value=Decimal("100")))

    report = scanner.run(scan_shard(capped), PAPER)
    assert dict(report.skipped) == {"trading_disabled": 2, "symbol_not_allowed": 1}
    assert (report.intents, series.fetches) == (3, 2)
    made = {u: wiring.orders().list_orders(u, 10, None)[0] for u in members}
    assert made[off] == [] and [o.symbol for o in made[eth_only]] == ["ETH/USD"]
    # 100 USD x 0.98 (headroom for the price moving before the executor checks it) at the close of 48
    assert {(o.symbol, o.quantity) for o in made[capped]} == {
        ("BTC/USD", Decimal("2.04166666")),
        ("ETH/USD", Decimal("2.04166666")),
    }
    assert all(o.quantity * 48 <= 100 for o in made[capped])


def test_a_series_no_user_may_trade_is_not_read(scan: tuple[Scanner, Series, list[str]]) -> None:
    from nija.domain.permissions import UserPermissions

    scanner, series, members = scan
    for u in members:
        wiring.permissions().put("admin", u, UserPermissions(allowed_brokers=(BrokerName.KRAKEN,)))
    report = scanner.run(scan_shard(members[0]), PAPER)
    assert dict(report.skipped) == {"broker_not_allowed": 2 * len(members)}
    assert (report.intents, report.fetches, series.fetches, queued()) == (0, 0, 0, [])


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


def test_a_user_the_scan_cannot_value_is_skipped_and_counted_beside_users_it_serves(
    scan: tuple[Scanner, Series, list[str]], monkeypatch: pytest.MonkeyPatch, scan_log: io.StringIO
) -> None:
    """As deployed, the scan function holds no vault key id and may read no secret: it sizes entries
    from the valuations the executor records, never at the broker. A kraken user not valued yet (no
    reconciliation since they connected) is skipped and counted; the others are served. Before, the
    scan asked the broker, which failed the whole shard."""
    from nija.config import reset_settings
    from nija.domain.credentials import KrakenCredentials

    scanner, _, members = scan
    _, valued, on_paper = members
    shard = scan_shard(valued)
    never_valued = next(u for u in (user(i) for i in range(40, 400)) if scan_shard(u) == shard)
    wiring.users().put_user(User(user_id=never_valued, email="never@example.com"))
    secret = "kraken-CANARY-secret"
    wiring.vault().put(never_valued, KrakenCredentials(api_key="kraken-key", api_secret=secret), 1)
    kraken = StrategySettings(
        enabled=True, brokers=(BrokerName.KRAKEN,), symbols=("BTC/USD",), timeframe="5m"
    )
    for u in (valued, never_valued):
        DynamoStrategySettings().put(u, kraken)
    wiring.risk_store().record_equity(valued, "kraken", Decimal("10000"), NOW)
    monkeypatch.delenv("NIJA_VAULT_KEY_ID")  # the scan function's environment: no vault
    reset_settings()

    report = scanner.run(scan_shard(valued))  # every broker: kraken and paper

    assert dict(report.skipped) == {"not_valued": 1}
    assert report.intents == 1 + 2 + 2  # the valued kraken user's entry, the paper users' two each
    assert wiring.orders().list_orders(never_valued, 10, None)[0] == []
    (order,) = wiring.orders().list_orders(valued, 10, None)[0]
    assert (order.broker, order.side.value) == (BrokerName.KRAKEN, "buy")
    assert {json.loads(m["Body"])["intent"]["user_id"] for m in queued()} == {on_paper, members[0]}
    assert scan_log.getvalue() == ""  # no broker was asked: nothing failed
    assert secret not in scan_log.getvalue()


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


def test_a_user_whose_stored_settings_no_longer_validate_is_skipped_and_counted(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    """Settings saved valid can stop validating (a symbol delisted since, say): before, reading
    them failed the whole shard."""
    from nija.adapters.dynamo import keys
    from nija.adapters.dynamo.keys import STRATEGY
    from nija.adapters.dynamo.models import StrategySettingsItem

    scanner, _, members = scan
    stale, *others = members
    item = StrategySettingsItem.get(keys.user_pk(stale), STRATEGY, consistent_read=True)
    item.settings = item.settings.replace("ETH/USD", "XYZ/USD")
    item.save()

    report = scanner.run(scan_shard(stale), PAPER)

    assert dict(report.skipped) == {"invalid_settings": 1}
    assert report.intents == 2 * len(others)
    assert wiring.orders().list_orders(stale, 10, None)[0] == []


class Broken:
    """A strategy whose signals fail on this market (a plug-in's bug, say)."""

    name = "broken"

    def prepare(self, candles: Any, timeframe: str, now: datetime) -> Any:
        raise ArithmeticError("no signal for these candles")


def test_a_series_whose_signals_fail_skips_its_users_only(
    scan: tuple[Scanner, Series, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nija.domain.strategies import STRATEGIES

    scanner, _, members = scan
    monkeypatch.setitem(STRATEGIES, Broken.name, Broken())
    trying, *others = members
    DynamoStrategySettings().put(trying, settings_for("BTC/USD").model_copy(update={"strategy": "broken"}))

    report = scanner.run(scan_shard(trying), PAPER)

    assert dict(report.skipped) == {"signal_error": 1}
    assert report.intents == 2 * len(others)


def test_intents_the_queue_refuses_are_counted_and_the_others_are_queued(
    scan: tuple[Scanner, Series, list[str]],
) -> None:
    """One broker's queue gone: its user's intent is recorded and counted, everyone else's is sent."""
    scanner, _, members = scan
    on_kraken, *on_paper = members
    DynamoStrategySettings().put(
        on_kraken,
        StrategySettings(enabled=True, brokers=(BrokerName.KRAKEN,), symbols=("BTC/USD",), timeframe="5m"),
    )
    wiring.risk_store().record_equity(on_kraken, "kraken", Decimal("10000"), NOW)
    client("sqs").delete_queue(QueueUrl=queue_url(get_settings().catalogue.queue(BrokerName.KRAKEN).name))

    report = scanner.run(scan_shard(on_kraken))

    assert dict(report.skipped) == {"enqueue_error": 1}
    assert report.intents == 1 + 2 * len(on_paper)
    assert len(queued()) == 2 * len(on_paper)
    (order,) = wiring.orders().list_orders(on_kraken, 10, None)[0]
    assert order.status.value == "queued"  # a rerun for this candle sends it


def test_a_shard_that_could_not_queue_fails_after_reporting_and_its_rerun_sends(
    scan: tuple[Scanner, Series, list[str]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    scan_log: io.StringIO,
) -> None:
    """Lambda retries a failed shard invocation: the rerun for the same candle sends the intents the
    queue did not take (the others it already has are dropped by their deduplication id)."""
    from nija.domain.errors import ServiceUnavailable
    from nija.local.provision import create_queues

    scanner, _, members = scan
    monkeypatch.setattr(wiring.container(), "scanner", scanner)  # the handler, over this test's market
    handler = load_function("strategy_scan", "unsent").handler
    event = {"broker": "paper", "shard": scan_shard(members[0])}
    context = LambdaContext("nija-test-scan-paper")
    client("sqs").delete_queue(QueueUrl=queue_url(get_settings().catalogue.queue(PAPER).name))
    capsys.readouterr()

    with pytest.raises(ServiceUnavailable):
        handler(event, context)

    blobs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    skipped = [(b["ScanUsersSkipped"], b["reason"]) for b in blobs if "ScanUsersSkipped" in b]
    assert skipped == [([float(2 * len(members))], "enqueue_error")]
    lines = [json.loads(line) for line in scan_log.getvalue().splitlines()]
    (scanned,) = [x for x in lines if x["message"] == "shard scanned"]
    assert scanned["skipped"] == {"enqueue_error": 2 * len(members)}
    assert {x["user_id"] for x in lines if x["message"] == "could not queue an intent"} == set(members)

    create_queues(get_settings().catalogue)
    rerun = handler(event, context)
    assert (rerun["intents"], rerun["resent"], rerun["skipped"]) == (0, 2 * len(members), {})
    assert len(queued()) == 2 * len(members)
