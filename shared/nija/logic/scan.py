"""The strategy scan: read each market once, compute its signals once, decide for every enabled user.

One run covers one shard of the enabled users (nija.domain.settings.scan_shard). It groups them by
series (broker, symbol, timeframe, strategy), fetches each series' candles once through the market
data port, calls the strategy's `prepare` once per series and its cheap `decide` once per user, and
turns each entry or exit into an order intent sent to the broker's FIFO queue in batches of 10.

Running twice for the same candle makes no second intent: the intent id hashes user, strategy,
timeframe and candle time (plus symbol and side), the order record is created with a condition, and
the queue deduplicates on the intent id. Users halted by a kill switch (global, broker or their own)
or whose trading the platform disabled get no intents; under REDUCING only exits go out. An admin's
permissions (nija.domain.permissions) apply before any market data is read: a user with trading
turned off is skipped (`trading_disabled`), and a series on a broker or symbol they may not trade is
dropped for them (`broker_not_allowed`, `symbol_not_allowed`) unless they hold a position in it (its
exit still goes out); an entry is sized within their value caps, and skipped when the cap leaves less
than the instrument's minimum (`order_value_limit`, `position_value_limit`). The executor checks
everything again before it submits.

No user can fail another's scan: every step that can fail for one user (reading their settings,
sizing their entry, recording their intent, queueing it) skips that user only, and a series whose
candles or signals fail skips that series' users only; each skip is counted by reason in the
report (`skipped`, the ScanUsersSkipped metric's reasons)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any, Protocol

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import AccountInactive, BrokerError, NijaError
from nija.domain.ids import client_order_id, intent_id
from nija.domain.instruments import instrument
from nija.domain.market import Candle
from nija.domain.messages import PlaceOrder
from nija.domain.models import BrokerName, OrderIntent, OrderType, Position, Side, utcnow
from nija.domain.money import ZERO, fmt
from nija.domain.orders import Order, OrderStatus
from nija.domain.permissions import UserPermissions, series_refusal
from nija.domain.risk import TradingMode
from nija.domain.settings import StrategySettings
from nija.domain.strategies import Action, Reason, closed_candles, get_strategy
from nija.ports.market_data import MarketData
from nija.ports.queue import OrderQueue
from nija.ports.stores import OrderStore
from nija.ports.telemetry import Telemetry

CANDLES = 100  # enough closed candles for RSI_14's Wilder smoothing to settle
# An entry is sized a little under a value cap: the market price the executor checks it at may be
# above the candle's close.
CAP_HEADROOM = Decimal("0.98")


@dataclass(frozen=True)
class UserScanState:
    """What the scan needs to know of one user beyond their settings."""

    mode: TradingMode  # the user's own kill switch
    disabled: bool  # trading disabled by the platform (repeated broker errors)
    positions: dict[tuple[BrokerName, str], Position] = field(default_factory=dict)
    permissions: UserPermissions = field(default_factory=UserPermissions)  # what an admin allows

    def forbids(self, broker: BrokerName, symbol: str) -> str | None:
        """Why the user's permissions keep them out of this series (a skip reason), or None."""
        held = self.positions.get((broker, symbol))
        return series_refusal(
            self.permissions, broker, symbol, holds=held is not None and held.quantity != ZERO
        )


class EnabledUsers(Protocol):
    def enabled_in_shard(self, shard: int) -> Iterable[tuple[str, StrategySettings | None]]:
        """None for settings that no longer read as valid (say, a symbol since delisted)."""
        ...


class UserStates(Protocol):
    def read(
        self, users: Sequence[str], series: Sequence[tuple[BrokerName, str]]
    ) -> dict[str, UserScanState]: ...


class PlatformModes(Protocol):
    def mode(self, broker: BrokerName) -> TradingMode:
        """The strictest of the global and this broker's kill switches."""
        ...


class NotValued(Exception):
    """The user has no valuation at any broker yet: nothing to size an entry from (a reconciliation
    values them within a minute of connecting a broker)."""


class Sizer(Protocol):
    def entry_quantity(self, user_id: str, broker: BrokerName, symbol: str, price: Decimal) -> Decimal | None:
        """How much an entry buys (the user's position share of equity), None when it cannot say."""
        ...


@dataclass
class ScanReport:
    shard: int
    users: int = 0
    series: int = 0
    fetches: int = 0
    evaluations: int = 0
    evaluation_s: float = 0.0
    intents: int = 0
    resent: int = 0  # intents of an earlier run for the same candle still queued: sent again
    skipped: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "shard": self.shard,
            "users": self.users,
            "series": self.series,
            "fetches": self.fetches,
            "evaluations": self.evaluations,
            "evaluation_us_per_user_symbol": round(self.evaluation_s / max(self.evaluations, 1) * 1e6, 3),
            "intents": self.intents,
            "resent": self.resent,
            "skipped": dict(self.skipped),
        }


def strategy_source(strategy: str, timeframe: str, candle_time: datetime) -> str:
    return f"strategy:{strategy}:{timeframe}:{candle_time.isoformat()}"


@dataclass
class Scanner:
    users: EnabledUsers
    states: UserStates
    platform: PlatformModes
    market: Callable[[BrokerName], MarketData]
    sizer: Sizer
    orders: OrderStore
    queue: OrderQueue
    telemetry: Telemetry
    clock: Callable[[], datetime] = utcnow

    def run(self, shard: int, broker: BrokerName | None = None) -> ScanReport:
        """Scan one shard of the enabled users, on every broker or on `broker` only (one scan
        deployment per broker, each with only its broker's client library)."""
        report = ScanReport(shard=shard)
        now = self.clock()
        groups: dict[tuple[BrokerName, str, str, str], list[tuple[str, StrategySettings]]] = defaultdict(list)
        for user_id, settings in self.users.enabled_in_shard(shard):
            if settings is None:
                self.telemetry.warning("unreadable strategy settings", user_id=user_id)
                report.users += 1
                report.skipped["invalid_settings"] += 1
                continue
            series = [x for x in settings.series() if broker is None or x[0] is broker]
            report.users += bool(series)
            for venue, symbol, timeframe in series:
                groups[(venue, symbol, timeframe, settings.strategy)].append((user_id, settings))
        report.series = len(groups)
        if not groups:
            return report
        pairs = sorted({(b, s) for b, s, _, _ in groups})
        states = self.states.read(sorted({u for members in groups.values() for u, _ in members}), pairs)
        modes = {b: self.platform.mode(b) for b in {b for b, _ in pairs}}
        intents: list[tuple[OrderIntent, Reason]] = []
        for (broker, symbol, timeframe, name), members in sorted(groups.items(), key=lambda g: g[0]):
            members = _permitted(members, states, broker, symbol, report)
            if not members:  # no one may trade it: its candles are not read
                continue
            if modes[broker] is TradingMode.HALTED:
                report.skipped["halted"] += len(members)
                continue
            try:
                candles = closed_candles(
                    self.market(broker).candles(symbol, timeframe, CANDLES, now), timeframe, now
                )
            except Exception as exc:  # one series' market data: its users only, the others go on
                self.telemetry.warning(
                    "no candles for a series",
                    symbol=symbol,
                    timeframe=timeframe,
                    error=_kind(exc),
                )
                report.skipped["market_data_error"] += len(members)
                continue
            report.fetches += 1
            if not candles:
                report.skipped["no_candles"] += len(members)
                continue
            try:
                shared = _series(broker, symbol, timeframe, name, candles, now)
            except Exception as exc:  # as for its candles: this series' users only
                self.telemetry.warning(
                    "no signals for a series",
                    symbol=symbol,
                    timeframe=timeframe,
                    error=_kind(exc),
                )
                report.skipped["signal_error"] += len(members)
                continue
            for user_id, settings in members:
                state = states.get(user_id)
                if state is None or state.disabled or state.mode is TradingMode.HALTED:
                    report.skipped["halted_or_disabled"] += 1
                    continue
                try:  # one user's failure (their keys, their broker account) is theirs alone
                    decided = self._decide(user_id, settings, state, modes[broker], shared, report)
                except Exception as exc:
                    self.telemetry.warning(
                        "could not decide for a user",
                        user_id=user_id,
                        symbol=symbol,
                        error=_kind(exc),
                    )
                    report.skipped[_skip_reason(exc)] += 1
                    continue
                if decided is not None:
                    intents.append(decided)
        self._send(intents, report)
        return report

    def _decide(
        self,
        user_id: str,
        settings: StrategySettings,
        state: UserScanState,
        platform: TradingMode,
        series: _Series,
        report: ScanReport,
    ) -> tuple[OrderIntent, Reason] | None:
        position = state.positions.get((series.broker, series.symbol))
        started = time.perf_counter()
        decision = series.strategy.decide(series.signals, position, settings.thresholds)
        report.evaluation_s += time.perf_counter() - started
        report.evaluations += 1
        held = position.quantity if position is not None else ZERO
        if decision.action is Action.ENTER and held == ZERO:
            if TradingMode.REDUCING in (state.mode, platform):
                report.skipped["reducing"] += 1
                return None
            try:
                quantity = self.sizer.entry_quantity(user_id, series.broker, series.symbol, series.close)
            except NotValued:
                report.skipped["not_valued"] += 1
                return None
            capped = None
            if quantity is not None and (cap := state.permissions.entry_cap()) is not None:
                budget, code = cap[0] * CAP_HEADROOM, cap[1]
                if quantity * series.close > budget:
                    quantity, capped = budget / series.close, code.value
            quantity = _tradable(series.broker, series.symbol, quantity)
            if quantity is None:
                report.skipped[capped or "no_size"] += 1
                return None
            intent = _intent(user_id, series.broker, series.symbol, Side.BUY, quantity, series.source)
            return intent, decision.reason
        if decision.action is Action.EXIT and held > ZERO:
            return _intent(
                user_id, series.broker, series.symbol, Side.SELL, held, series.source
            ), decision.reason
        return None

    def _send(self, intents: list[tuple[OrderIntent, Reason]], report: ScanReport) -> None:
        """Record each intent's order (conditionally: a rerun finds it) with its audit record (the
        strategy's reason) in one write, then queue them 10 at a time; what the queue refuses is
        counted per user (`enqueue_error`): those orders stay queued, and a rerun for the same
        candle sends them again."""
        messages: list[PlaceOrder] = []
        for intent, reason in intents:
            try:
                order, created = self.orders.create_order(
                    Order.from_intent(intent), audit=_audited(intent, reason)
                )
            except Exception as exc:  # disabled or erased since the read, say: this user only
                self.telemetry.warning("could not record an intent", user_id=intent.user_id, error=_kind(exc))
                report.skipped[_skip_reason(exc)] += 1
                continue
            if created:
                report.intents += 1
                messages.append(PlaceOrder(intent=intent))
            elif order.status is OrderStatus.QUEUED:  # the earlier run may have died before sending
                report.resent += 1
                messages.append(PlaceOrder(intent=order.to_intent()))
        if not messages:
            return
        for message, error in self.queue.send_batch(messages):
            self.telemetry.warning(
                "could not queue an intent",
                user_id=message.user_id,
                order_id=message.dedup_id,
                error=error,
            )
            report.skipped["enqueue_error"] += 1


@dataclass(frozen=True)
class _Series:
    """One series' shared work: its strategy's signals, computed once for all its users."""

    broker: BrokerName
    symbol: str
    strategy: Any
    signals: Any
    close: Decimal
    source: str


def _series(
    broker: BrokerName, symbol: str, timeframe: str, name: str, candles: Sequence[Candle], now: datetime
) -> _Series:
    strategy = get_strategy(name)
    last = candles[-1]
    return _Series(
        broker=broker,
        symbol=symbol,
        strategy=strategy,
        signals=strategy.prepare(candles, timeframe, now),
        close=last.close,
        source=strategy_source(name, timeframe, last.timestamp),
    )


def _permitted(
    members: list[tuple[str, StrategySettings]],
    states: dict[str, UserScanState],
    broker: BrokerName,
    symbol: str,
    report: ScanReport,
) -> list[tuple[str, StrategySettings]]:
    """The series' users whose permissions let them trade it; the others counted by reason."""
    kept = []
    for user_id, settings in members:
        state = states.get(user_id)
        if state is not None and (reason := state.forbids(broker, symbol)) is not None:
            report.skipped[reason] += 1
            continue
        kept.append((user_id, settings))
    return kept


def _kind(exc: Exception) -> str:
    """What went wrong, for a log line: the error's code or type, never its message (which may
    quote a broker's answer)."""
    return exc.code if isinstance(exc, NijaError) else type(exc).__name__


def _skip_reason(exc: Exception) -> str:
    """A user skipped for an error, by a small fixed set of reasons (the ScanUsersSkipped metric's)."""
    if isinstance(exc, AccountInactive):
        return "account_inactive"
    if isinstance(exc, BrokerError):
        return "broker_error"
    if isinstance(exc, NijaError):
        return "unavailable"
    return "error"


def _audited(intent: OrderIntent, reason: Reason) -> AuditEvent:
    return AuditEvent(
        action="strategy.intent",
        outcome=Outcome.SUCCESS,
        subject=intent.user_id,
        actor=":".join(intent.source.split(":")[:2]),  # "strategy:<name>"
        details={
            "order_id": intent.intent_id,
            "broker": intent.broker.value,
            "symbol": intent.symbol,
            "side": intent.side.value,
            "quantity": fmt(intent.quantity),
            "reason": reason.value,
            "source": intent.source,
        },
    )


def _tradable(broker: BrokerName, symbol: str, quantity: Decimal | None) -> Decimal | None:
    """`quantity` rounded down to the instrument's step; None below its minimum."""
    if quantity is None or quantity <= ZERO:
        return None
    inst = instrument(broker, symbol)
    rounded = quantity.quantize(Decimal(1).scaleb(-inst.quantity_decimals), rounding=ROUND_DOWN)
    return rounded if rounded >= inst.min_quantity else None


def _intent(
    user_id: str, broker: BrokerName, symbol: str, side: Side, quantity: Decimal, source: str
) -> OrderIntent:
    iid = intent_id(user_id, source, symbol, side.value)
    return OrderIntent(
        intent_id=iid,
        client_order_id=client_order_id(iid),
        user_id=user_id,
        broker=broker,
        symbol=symbol,
        side=side,
        type=OrderType.MARKET,
        quantity=quantity,
        source=source,
    )
