"""Pre-trade risk checks: pure functions run on every order just before it is submitted.

`check_order` runs the checks below in this order and returns the first refusal, or None when the
order may go to the broker. The executor records the refusal on the order as its reason_code
(`Refusal.code`) and reason_message. The codes are stable (`nija.domain.risk.RefusalCode`):

- ``broker_not_connected``: the user removed their keys for the broker while the order waited (the
  executor checks before the risk checks; the API refuses a new order at once with the same code).
- ``trading_disabled``: the user's trading was disabled (for example after `max_consecutive_errors`
  broker errors in a row, see `register_broker_result`); every order is refused, closing ones too,
  until someone enables trading again. The reason is `AccountView.disabled_reason`.
- ``trading_disabled`` too when an admin turned the user's trading off (`UserPermissions`, below).
- ``kill_switch_halted``: a kill switch (global, broker or user) is HALTED. No new orders at all,
  not even orders that would close a position: a halt stops every broker call. To wind positions
  down, set the switch to REDUCING instead.
- ``reduce_only``: a kill switch is REDUCING and the order does not strictly reduce an existing
  position (an increase, a new position, or a flip through zero).
- ``broker_not_allowed``, ``symbol_not_allowed``, ``order_value_limit``, ``position_value_limit``:
  the user's permissions, set by an admin (nija.domain.permissions): the broker or the symbol is not
  among the allowed ones, the order's value (quantity x price) or the resulting position's
  (|position after| x price) is above its cap, in the symbol's quote currency.
- ``daily_loss_limit``: equity < day_start_equity x (1 - daily_loss_limit). The day starts at
  midnight in the user's time zone (`local_day_start`); the executor passes that day's starting
  equity, so trading resumes by itself on the next local day. Orders that reduce exposure pass.
- ``insufficient_capital``: live capital verification. A buy needs free quote balance at the broker
  >= notional + fee (notional = quantity x price, fee = notional x fee_rate). Short selling is not
  supported (spot): a sell passes only if it reduces an existing long, so a sell of what you do not
  hold, or a sell larger than the long, is refused with this code. Equity <= 0 refuses every order
  that does not reduce exposure with this code too.
- ``position_size``: the resulting position's notional (|position after the order| x price) exceeds
  position_share x equity.
- ``max_open_positions``: the order opens a new position (none held at this broker and symbol)
  while `max_open_positions` positions are already open across all brokers.
- ``exposure_cap``: the sum of |position notional| over all the user's brokers after the order
  exceeds max_total_exposure x equity. Other positions are valued at `AccountView.marks`
  (falling back to their average price when no mark was gathered); this order's position at its price.

Every limit is inclusive: exactly at the limit passes, anything over refuses.

An order that strictly reduces a position (`reduces_exposure`) passes the permissions' broker, symbol
and value checks, daily loss, capital, position size, max open positions and exposure: closing is always possible unless trading is disabled or
halted. Each check is a plug-in (`PreTradeCheck`), freqtrade-protection style: `check_order` takes
the sequence to run, `CHECKS` by default.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from nija.domain.models import Side, utcnow
from nija.domain.money import ZERO, fmt
from nija.domain.permissions import UserPermissions, order_refusal, trading_refusal
from nija.domain.risk import (
    AccountView,
    OrderCheck,
    Refusal,
    RefusalCode,
    RiskSettings,
    TradingMode,
    position_key,
)


def reduces_exposure(position_quantity: Decimal, side: Side, quantity: Decimal) -> bool:
    """True when the order strictly reduces |position| without crossing zero (closing to zero counts)."""
    if quantity <= ZERO or position_quantity == ZERO:
        return False
    if (position_quantity > ZERO) == (side is Side.BUY):
        return False
    return quantity <= abs(position_quantity)


@dataclass(frozen=True)
class OrderContext:
    """What every check needs, computed once per order."""

    order: OrderCheck
    account: AccountView
    settings: RiskSettings
    current: Decimal  # the signed position at the order's broker and symbol, before the order
    resulting: Decimal  # the signed position after the order fills completely
    reduces: bool
    permissions: UserPermissions = field(default_factory=UserPermissions)

    @classmethod
    def build(
        cls,
        order: OrderCheck,
        account: AccountView,
        settings: RiskSettings,
        permissions: UserPermissions | None = None,
    ) -> OrderContext:
        key = order.key
        current = sum(
            (p.quantity for p in account.positions if position_key(p.broker, p.symbol) == key), ZERO
        )
        return cls(
            order=order,
            account=account,
            settings=settings,
            current=current,
            resulting=current + order.quantity * order.side.sign,
            reduces=reduces_exposure(current, order.side, order.quantity),
            permissions=permissions or UserPermissions(),
        )


PreTradeCheck = Callable[[OrderContext], Refusal | None]


def _refuse(code: RefusalCode, message: str) -> Refusal:
    return Refusal(code=code.value, message=message)


def _pct(share: Decimal) -> str:
    return f"{fmt(share * 100)}%"


def check_disabled(ctx: OrderContext) -> Refusal | None:
    reason = ctx.account.disabled_reason
    if reason is None:
        return None
    return _refuse(RefusalCode.TRADING_DISABLED, f"trading is disabled for this user: {reason}")


def check_trading_permitted(ctx: OrderContext) -> Refusal | None:
    return trading_refusal(ctx.permissions)


def check_permissions(ctx: OrderContext) -> Refusal | None:
    if ctx.reduces:
        return None
    order = ctx.order
    position_value = abs(ctx.resulting) * order.price
    return order_refusal(ctx.permissions, order.broker, order.symbol, order.notional, position_value)


def check_halted(ctx: OrderContext) -> Refusal | None:
    if ctx.account.mode is not TradingMode.HALTED:
        return None
    return _refuse(RefusalCode.KILL_SWITCH_HALTED, "a kill switch is engaged (halted): no new orders")


def check_reduce_only(ctx: OrderContext) -> Refusal | None:
    if ctx.account.mode is not TradingMode.REDUCING or ctx.reduces:
        return None
    return _refuse(
        RefusalCode.REDUCE_ONLY,
        f"a kill switch is engaged (reducing): only orders that reduce a position are accepted; "
        f"the position in {ctx.order.symbol} at {ctx.order.broker} is {fmt(ctx.current)} and this "
        f"{ctx.order.side} of {fmt(ctx.order.quantity)} would make it {fmt(ctx.resulting)}",
    )


def daily_loss_floor(day_start_equity: Decimal, daily_loss_limit: Decimal) -> Decimal:
    return day_start_equity * (1 - daily_loss_limit)


def check_daily_loss(ctx: OrderContext) -> Refusal | None:
    account = ctx.account
    start = account.equity if account.day_start_equity is None else account.day_start_equity
    if ctx.reduces or start <= ZERO:
        return None
    floor = daily_loss_floor(start, ctx.settings.daily_loss_limit)
    if account.equity >= floor:
        return None
    return _refuse(
        RefusalCode.DAILY_LOSS_LIMIT,
        f"equity {fmt(account.equity)} is below {fmt(floor)}, the day's start {fmt(start)} less the "
        f"daily loss limit of {_pct(ctx.settings.daily_loss_limit)}; trading resumes at the start of "
        f"the next day in {ctx.settings.time_zone}",
    )


def check_capital(ctx: OrderContext) -> Refusal | None:
    if ctx.reduces:
        return None
    order, account = ctx.order, ctx.account
    if account.equity <= ZERO:
        return _refuse(
            RefusalCode.INSUFFICIENT_CAPITAL,
            f"equity is {fmt(account.equity)}: no order may add exposure",
        )
    if order.side is Side.SELL:
        held = max(ctx.current, ZERO)
        return _refuse(
            RefusalCode.INSUFFICIENT_CAPITAL,
            f"short selling is not supported: {fmt(held)} {order.symbol} held at {order.broker}, "
            f"cannot sell {fmt(order.quantity)}",
        )
    needed = order.notional + order.fee
    if account.free_quote_balance >= needed:
        return None
    return _refuse(
        RefusalCode.INSUFFICIENT_CAPITAL,
        f"free balance {fmt(account.free_quote_balance)} at {order.broker} does not cover "
        f"{fmt(needed)} (notional {fmt(order.notional)} plus fee {fmt(order.fee)})",
    )


def check_position_size(ctx: OrderContext) -> Refusal | None:
    if ctx.reduces:
        return None
    notional = abs(ctx.resulting) * ctx.order.price
    limit = ctx.settings.position_share * ctx.account.equity
    if notional <= limit:
        return None
    return _refuse(
        RefusalCode.POSITION_SIZE,
        f"the position in {ctx.order.symbol} would be worth {fmt(notional)}, above {fmt(limit)} "
        f"({_pct(ctx.settings.position_share)} of equity {fmt(ctx.account.equity)})",
    )


def open_positions(account: AccountView) -> int:
    return sum(1 for p in account.positions if p.quantity != ZERO)


def check_max_open_positions(ctx: OrderContext) -> Refusal | None:
    if ctx.reduces or ctx.current != ZERO:
        return None
    count = open_positions(ctx.account)
    if count < ctx.settings.max_open_positions:
        return None
    return _refuse(
        RefusalCode.MAX_OPEN_POSITIONS,
        f"{count} positions are open, the maximum is {ctx.settings.max_open_positions}: "
        f"cannot open {ctx.order.symbol} at {ctx.order.broker}",
    )


def total_exposure_after(ctx: OrderContext) -> Decimal:
    """Sum of |position notional| across all brokers once the order has filled."""
    key = ctx.order.key
    total = abs(ctx.resulting) * ctx.order.price
    for p in ctx.account.positions:
        other = position_key(p.broker, p.symbol)
        if other == key or p.quantity == ZERO:
            continue
        total += abs(p.quantity) * ctx.account.marks.get(other, p.average_price)
    return total


def check_exposure(ctx: OrderContext) -> Refusal | None:
    if ctx.reduces:
        return None
    total = total_exposure_after(ctx)
    cap = ctx.settings.max_total_exposure * ctx.account.equity
    if total <= cap:
        return None
    return _refuse(
        RefusalCode.EXPOSURE_CAP,
        f"total exposure across brokers would be {fmt(total)}, above {fmt(cap)} "
        f"({_pct(ctx.settings.max_total_exposure)} of equity {fmt(ctx.account.equity)})",
    )


CHECKS: tuple[PreTradeCheck, ...] = (
    check_disabled,
    check_trading_permitted,
    check_halted,
    check_reduce_only,
    check_permissions,
    check_daily_loss,
    check_capital,
    check_position_size,
    check_max_open_positions,
    check_exposure,
)


def check_order(
    order: OrderCheck,
    account: AccountView,
    settings: RiskSettings,
    checks: Sequence[PreTradeCheck] = CHECKS,
    permissions: UserPermissions | None = None,
) -> Refusal | None:
    """The first refusal among `checks` (in order), or None when the order may be submitted.
    `permissions`: what an admin allows the user (None: no restriction)."""
    ctx = OrderContext.build(order, account, settings, permissions)
    for check in checks:
        refusal = check(ctx)
        if refusal is not None:
            return refusal
    return None


def trading_day(time_zone: str, now: datetime | None = None) -> date:
    """The user's trading day now: the local date of the day that started at `local_day_start`."""
    return local_day_start(now or utcnow(), time_zone).astimezone(ZoneInfo(time_zone)).date()


def local_day_start(now: datetime, time_zone: str) -> datetime:
    """The first instant of `now`'s day in `time_zone`, as an aware UTC datetime.

    Usually local midnight; where a DST change skips midnight (e.g. America/Santiago, 00:00 -> 01:00)
    the day starts at the transition. `now` must be timezone-aware.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    zone = ZoneInfo(time_zone)
    day = now.astimezone(zone).date()
    midnight = datetime.combine(day, time(), tzinfo=zone)
    start = midnight.astimezone(UTC)
    if start.astimezone(zone).replace(tzinfo=None) == midnight.replace(tzinfo=None):
        return start
    # Midnight falls in a gap. fold=1 reads it with the offset after the change (an instant before
    # the change, still the previous day), fold=0 with the offset before it (an instant after the
    # change, already this day); the day starts at the change, a whole second between the two.
    lo = int(midnight.replace(fold=1).timestamp())
    hi = int(start.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).date() >= day:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def register_broker_result(consecutive_errors: int, ok: bool, limit: int) -> tuple[int, str | None]:
    """The new count of consecutive broker errors, and the reason to disable trading once it reaches `limit`.

    A success resets the count. The caller stores the count on the user and, when a reason comes
    back, disables the user's trading with it (shown on GET /v1/me and as `trading_disabled`).
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    if ok:
        return 0, None
    count = max(consecutive_errors, 0) + 1
    if count < limit:
        return count, None
    return count, f"trading disabled after {count} consecutive broker errors"
