"""Everything the executor checks just before it sends an order: the trading mode (kill switches),
whether the platform disabled the user, and the hard risk controls on a fresh view of the account
(live balances at the broker, positions across brokers, equity against the day's start).

What the checks need from storage (the user, their settings, permissions and keys, the three kill
switches, the broker's breaker) is read in one strongly consistent batch (`PreTradeState`), once per
order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.instruments import instrument
from nija.domain.models import BrokerName, Position, User, UserStatus, utcnow
from nija.domain.money import ZERO
from nija.domain.orders import Order
from nija.domain.permissions import UserPermissions
from nija.domain.risk import AccountView, OrderCheck, Refusal, RiskSettings, TradingMode, strictest
from nija.domain.switches import Breaker, KillSwitch
from nija.logic.risk import check_order, local_day_start, register_broker_result
from nija.ports.broker import Balance, BrokerAccount
from nija.ports.stores import Ledger, UserStore


class RiskStore(Protocol):
    def settings(self, user_id: str) -> RiskSettings: ...

    def record_equity(self, user_id: str, broker: str, equity: Decimal, at: datetime) -> None: ...

    def record_snapshot(self, user_id: str, equity: Decimal, at: datetime) -> None:
        """The user's equity across brokers, kept per 5 minutes for GET /v1/analytics/equity."""
        ...

    def equity_state(self, user_id: str) -> tuple[dict[str, Decimal], tuple[datetime, Decimal] | None]:
        """The latest equity at each broker, and the last day-start record (when, how much)."""
        ...

    def start_day(self, user_id: str, day_start: datetime, equity_now: Decimal, at: datetime) -> Decimal:
        """Record `equity_now` as the equity of the day beginning at `day_start`, unless another
        instance did first; returns the figure that stands."""
        ...


@dataclass(frozen=True)
class PreTradeState:
    """One user's standing for one broker, read together just before a submit."""

    user: User | None
    settings: RiskSettings
    connected: bool  # the user still has keys for the broker
    switches: tuple[KillSwitch, ...]
    breaker: Breaker
    equities: dict[str, Decimal] = field(default_factory=dict)  # the last valuation at each broker
    day_start: tuple[datetime, Decimal] | None = None  # the last day-start record
    permissions: UserPermissions = field(default_factory=UserPermissions)  # what an admin allows

    @property
    def mode(self) -> TradingMode:
        return strictest(TradingMode.ACTIVE, *(TradingMode(s.mode) for s in self.switches))


class PreTradeReader(Protocol):
    def read(self, user_id: str, broker: BrokerName) -> PreTradeState: ...


MarkPrice = Callable[[BrokerName, str], Decimal | None]


def broker_equity(balances: dict[str, Balance], quote: str, mark: Callable[[str], Decimal | None]) -> Decimal:
    """Cash in the quote currency plus every other asset at its mark (assets without one count 0)."""
    total = ZERO
    for asset, balance in balances.items():
        if asset == quote:
            total += balance.total
        elif (price := mark(f"{asset}/{quote}")) is not None:
            total += balance.total * price
    return total


@dataclass
class PreTradeGuard:
    users: UserStore
    ledger: Ledger
    risk: RiskStore
    mark_price: MarkPrice
    fee_rate: Callable[[BrokerName], Decimal]
    reader: PreTradeReader
    clock: Callable[[], datetime] = field(default=utcnow)

    def state(self, order: Order) -> PreTradeState:
        return self.reader.read(order.user_id, order.broker)

    def __call__(
        self, order: Order, account: BrokerAccount, state: PreTradeState | None = None
    ) -> Refusal | None:
        state = state or self.state(order)
        user, mode = state.user, state.mode
        disabled = user.trading_disabled_reason if user else "the account has no profile"
        if user is not None and user.status is not UserStatus.ACTIVE:
            disabled = "the account is disabled"
        permissions = state.permissions
        if disabled or mode is TradingMode.HALTED or not permissions.trading_enabled:
            # refuse before touching the broker
            empty = AccountView(
                equity=ZERO,
                day_start_equity=None,
                free_quote_balance=ZERO,
                positions=(),
                marks={},
                mode=mode,
                disabled_reason=disabled,
            )
            check = self._order_check(order, Decimal(1))
            return check_order(check, empty, RiskSettings(), permissions=permissions)
        settings = state.settings
        quote = instrument(order.broker, order.symbol).quote
        balances = account.balances()
        now = self.clock()

        def mark(symbol: str, broker: BrokerName = order.broker) -> Decimal | None:
            return self.mark_price(broker, symbol)

        price = order.limit_price or mark(order.symbol)
        if price is None:
            return Refusal(
                code="no_price", message=f"no current price for {order.symbol} on {order.broker.value}"
            )
        here = broker_equity(balances, quote, mark)
        self.risk.record_equity(order.user_id, order.broker.value, here, now)
        equities, last_start = state.equities, state.day_start  # read with the rest: no query
        equity = here + sum((v for b, v in equities.items() if b != order.broker.value), ZERO)
        self.risk.record_snapshot(order.user_id, equity, now)
        today = local_day_start(now, settings.time_zone)
        if last_start is not None and last_start[0] >= today:
            day_start = last_start[1]
        else:  # the first order of the user's day
            day_start = self.risk.start_day(order.user_id, today, equity, now)
        positions = tuple(p for p in self.ledger.list_positions(order.user_id) if p.quantity != ZERO)
        view = AccountView(
            equity=equity,
            day_start_equity=day_start,
            free_quote_balance=balances[quote].free if quote in balances else ZERO,
            positions=positions,
            marks=self._marks(positions, order, price),
            mode=mode,
            disabled_reason=None,
        )
        return check_order(self._order_check(order, price), view, settings, permissions=permissions)

    def _order_check(self, order: Order, price: Decimal) -> OrderCheck:
        return OrderCheck(
            broker=order.broker,
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            price=price,
            fee_rate=self.fee_rate(order.broker),
        )

    def _marks(self, positions: tuple[Position, ...], order: Order, price: Decimal) -> dict[str, Decimal]:
        marks = {f"{order.broker.value}:{order.symbol}": price}
        for p in positions:
            key = f"{p.broker.value}:{p.symbol}"
            if key not in marks:
                marks[key] = self.mark_price(p.broker, p.symbol) or p.average_price
        return marks

    def broker_result(self, user_id: str, ok: bool, seen: PreTradeState | None = None) -> str | None:
        """Count consecutive broker errors for the user; disable trading at the limit. Returns the
        reason when this call disabled it. A success for a user `seen` without errors writes nothing."""
        if ok and seen is not None and seen.user is not None and seen.user.consecutive_broker_errors == 0:
            return None
        user = self.users.get_user(user_id)
        if user is None or (ok and user.consecutive_broker_errors == 0):
            return None
        limit = self.risk.settings(user_id).max_consecutive_errors
        count, reason = register_broker_result(user.consecutive_broker_errors, ok, limit)
        update: dict[str, object] = {"consecutive_broker_errors": count}
        if reason and not user.trading_disabled_reason:
            update["trading_disabled_reason"] = reason
        paused = "trading_disabled_reason" in update
        event = None
        if paused:  # money-relevant: the platform stops a user's trading, in the trail with the change
            event = AuditEvent(
                action="controls.trading_paused",
                outcome=Outcome.SUCCESS,
                subject=user_id,
                actor="executor",
                details={"reason": str(reason), "consecutive_broker_errors": str(count)},
            )
        self.users.update_user(user_id, audit=event, **update)
        return reason if paused else None
