"""Pre-trade risk models: the user's risk settings, trading modes, what an order check sees.

The checks themselves live in `nija.logic.risk`; the refusal codes are listed there and in
`RefusalCode` below. Everything here is pure data: no I/O, no clock.

Trading modes (nautilus_trader's trading states):
- ACTIVE: every check runs as usual.
- REDUCING: only orders that strictly reduce an existing position (without flipping it) pass.
- HALTED: no new orders at all, not even closing ones. Closing a position while halted is an
  operator's job (lift the switch to REDUCING first); a halt must stop every broker call.

Kill switches exist at three levels (global, per broker, per user); the mode an order sees is the
`strictest` of the three.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from nija.domain.models import BrokerName, Frozen, Money, Position, Side
from nija.domain.money import ZERO, fmt

MIN_POSITION_SHARE = Decimal("0.02")
MAX_POSITION_SHARE = Decimal("0.10")
MAX_DAILY_LOSS_LIMIT = Decimal("0.5")
MAX_TOTAL_EXPOSURE = Decimal("3")
MAX_OPEN_POSITIONS = 50


class TradingMode(StrEnum):
    ACTIVE = "active"
    HALTED = "halted"
    REDUCING = "reducing"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {TradingMode.ACTIVE: 0, TradingMode.REDUCING: 1, TradingMode.HALTED: 2}


def strictest(*modes: TradingMode) -> TradingMode:
    """The most restrictive of `modes`: HALTED > REDUCING > ACTIVE. No modes at all is ACTIVE."""
    return max(modes, key=_RANK.__getitem__, default=TradingMode.ACTIVE)


class RefusalCode(StrEnum):
    """Stable names recorded on a refused order as its reason_code. Add, never rename."""

    TRADING_DISABLED = "trading_disabled"
    KILL_SWITCH_HALTED = "kill_switch_halted"
    REDUCE_ONLY = "reduce_only"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    INSUFFICIENT_CAPITAL = "insufficient_capital"
    POSITION_SIZE = "position_size"
    MAX_OPEN_POSITIONS = "max_open_positions"
    EXPOSURE_CAP = "exposure_cap"
    BROKER_NOT_CONNECTED = "broker_not_connected"
    # an admin's per-user permissions (nija.domain.permissions); trading off is TRADING_DISABLED
    BROKER_NOT_ALLOWED = "broker_not_allowed"
    SYMBOL_NOT_ALLOWED = "symbol_not_allowed"
    ORDER_VALUE_LIMIT = "order_value_limit"
    POSITION_VALUE_LIMIT = "position_value_limit"


class UserRiskSettings(Frozen):
    """The risk choices a user makes (GET and PUT /v1/settings); fractions of equity as strings."""

    position_share: Money = Field(Decimal("0.05"), description="share of equity per position (0.02-0.10)")
    max_open_positions: int = Field(5, description=f"open positions at most (1-{MAX_OPEN_POSITIONS})")
    daily_loss_limit: Money = Field(
        Decimal("0.05"),
        description="no new orders for the rest of the day once equity is down this share from the day's start",
    )
    max_total_exposure: Money = Field(Decimal("1.0"), description="all positions' value as a share of equity")
    time_zone: str = Field("UTC", description="IANA name; the trading day starts at its midnight")

    @field_validator("position_share")
    @classmethod
    def _position_share(cls, v: Decimal) -> Decimal:
        if not MIN_POSITION_SHARE <= v <= MAX_POSITION_SHARE:
            raise ValueError(
                f"position_share must be between {fmt(MIN_POSITION_SHARE)} and {fmt(MAX_POSITION_SHARE)}"
                " (2% to 10% of equity per position)"
            )
        return v

    @field_validator("max_open_positions")
    @classmethod
    def _max_open_positions(cls, v: int) -> int:
        if not 1 <= v <= MAX_OPEN_POSITIONS:
            raise ValueError(f"max_open_positions must be between 1 and {MAX_OPEN_POSITIONS}")
        return v

    @field_validator("daily_loss_limit")
    @classmethod
    def _daily_loss_limit(cls, v: Decimal) -> Decimal:
        if not ZERO < v <= MAX_DAILY_LOSS_LIMIT:
            raise ValueError(
                f"daily_loss_limit must be greater than 0 and at most {fmt(MAX_DAILY_LOSS_LIMIT)}"
                " (a share of the day's starting equity)"
            )
        return v

    @field_validator("max_total_exposure")
    @classmethod
    def _max_total_exposure(cls, v: Decimal) -> Decimal:
        if not ZERO < v <= MAX_TOTAL_EXPOSURE:
            raise ValueError(
                f"max_total_exposure must be greater than 0 and at most {fmt(MAX_TOTAL_EXPOSURE)}"
                " (a share of equity across all brokers)"
            )
        return v

    @field_validator("time_zone")
    @classmethod
    def _time_zone(cls, v: str) -> str:
        name = v.strip()
        try:
            if not name:
                raise ValueError("empty")
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f"time_zone must be an IANA time zone name such as 'Europe/Paris', got {v!r}"
            ) from None
        return name


class RiskSettings(UserRiskSettings):
    """The user's risk settings as stored and checked: their own choices and the platform's."""

    max_consecutive_errors: int = 5  # broker errors in a row that disable the user's trading

    @field_validator("max_consecutive_errors")
    @classmethod
    def _max_consecutive_errors(cls, v: int) -> int:
        if not 1 <= v <= 100:
            raise ValueError("max_consecutive_errors must be between 1 and 100")
        return v


class Refusal(Frozen):
    """Why an order was refused before it reached the broker: `code` is one of RefusalCode."""

    code: str
    message: str


class OrderCheck(Frozen):
    """What is about to be submitted. `price` is the limit price, or the current mark for a market order."""

    broker: BrokerName
    symbol: str
    side: Side
    quantity: Money
    price: Money
    fee_rate: Money

    @field_validator("quantity", "price")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= ZERO:
            raise ValueError("must be greater than zero")
        return v

    @field_validator("fee_rate")
    @classmethod
    def _fee_rate(cls, v: Decimal) -> Decimal:
        if not ZERO <= v < 1:
            raise ValueError("fee_rate must be at least 0 and below 1")
        return v

    @property
    def key(self) -> str:
        return position_key(self.broker, self.symbol)

    @property
    def notional(self) -> Decimal:
        return self.quantity * self.price

    @property
    def fee(self) -> Decimal:
        return self.notional * self.fee_rate


class AccountView(Frozen):
    """The user's account as the executor read it just before submitting."""

    equity: Money  # total across all the user's brokers, marked to market
    day_start_equity: Money | None  # at the user's local midnight; None (first order today): equity
    free_quote_balance: Money  # free cash at the order's broker, in the order's quote currency
    positions: tuple[Position, ...]  # all brokers; quantity signed; one entry per broker and symbol
    marks: dict[str, Money]  # position_key(broker, symbol) -> mark price
    mode: TradingMode  # strictest of the global, broker and user switches
    disabled_reason: str | None = None  # the user's trading was disabled (e.g. broker errors)

    @model_validator(mode="after")
    def _distinct_positions(self) -> AccountView:
        keys = [position_key(p.broker, p.symbol) for p in self.positions]
        if len(keys) != len(set(keys)):
            raise ValueError("positions must hold at most one entry per broker and symbol")
        return self


def position_key(broker: BrokerName | str, symbol: str) -> str:
    """The key of `AccountView.marks`: f"{broker}:{symbol}", e.g. "kraken:BTC/USD"."""
    return f"{broker}:{symbol}"
