"""Domain models. Money and quantities are Decimal; models are pydantic v2 at every boundary."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from nija.domain.money import ZERO, fmt, to_decimal


def utcnow() -> datetime:
    return datetime.now(UTC)


# The times any input may name: from the Unix epoch (no market, order or record of ours is older) to
# the end of this century. Outside, the arithmetic on them (epochs, windows, bucket keys) would not hold.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def instant(at: datetime) -> datetime:
    """`at` as an input time: UTC (naive means UTC), or ValueError outside [EARLIEST, LATEST)."""
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    if not EARLIEST <= at < LATEST:
        raise ValueError(f"must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")
    return at.astimezone(UTC)


# A time taken as input: naive means UTC; bounded (see EARLIEST, LATEST).
Instant = Annotated[datetime, AfterValidator(instant)]

# Decimal that accepts JSON strings or numbers and serialises as a canonical string.
Money = Annotated[
    Decimal,
    BeforeValidator(to_decimal),
    PlainSerializer(fmt, return_type=str, when_used="json"),
]


class BrokerName(StrEnum):
    COINBASE = "coinbase"
    KRAKEN = "kraken"
    BINANCE = "binance"
    ALPACA = "alpaca"
    PAPER = "paper"


class Tier(StrEnum):
    BASIC = "basic"
    PRO = "pro"
    ENTERPRISE = "enterprise"

    @property
    def requests_per_minute(self) -> int:
        return TIER_REQUESTS_PER_MINUTE[self]


TIER_REQUESTS_PER_MINUTE: dict[Tier, int] = {Tier.BASIC: 60, Tier.PRO: 300, Tier.ENTERPRISE: 1000}


class Role(StrEnum):
    USER = "user"
    ADMIN = "admin"


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class Side(StrEnum):
    BUY = "buy"
    SELL = "sell"

    @property
    def sign(self) -> int:
        return 1 if self is Side.BUY else -1


class OrderType(StrEnum):
    MARKET = "market"
    LIMIT = "limit"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class User(Frozen):
    user_id: str
    email: str
    tier: Tier = Tier.BASIC
    status: UserStatus = UserStatus.ACTIVE
    role: Role = Role.USER
    mfa_enabled: bool = False
    # Set when the platform stops the user's trading (e.g. after N consecutive broker errors).
    trading_disabled_reason: str | None = None
    consecutive_broker_errors: int = 0
    created_at: datetime = Field(default_factory=utcnow)


class Principal(Frozen):
    """Who is calling: what the authorizer context carries."""

    user_id: str
    tier: Tier = Tier.BASIC
    role: Role = Role.USER
    # An admin's: whether their account has TOTP on (the admin API requires it). None for users.
    mfa: bool | None = None


class OrderIntent(Frozen):
    """What should be traded, for whom, and why; the unit that travels through the FIFO queue."""

    intent_id: str
    client_order_id: str
    user_id: str
    broker: BrokerName
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None
    source: str
    created_at: datetime = Field(default_factory=utcnow)


class Fill(Frozen):
    """One execution reported by a broker; trade_id is unique per broker order."""

    trade_id: str
    quantity: Money
    price: Money
    fee: Money = ZERO
    fee_currency: str = "USD"
    timestamp: datetime = Field(default_factory=utcnow)


class Trade(Frozen):
    """A fill as recorded on the user's account."""

    user_id: str
    broker: BrokerName
    order_id: str
    trade_id: str
    symbol: str
    side: Side
    quantity: Money
    price: Money
    fee: Money = ZERO
    realized_pnl: Money = ZERO
    timestamp: datetime


class Position(Frozen):
    user_id: str
    broker: BrokerName
    symbol: str
    quantity: Money = ZERO
    average_price: Money = ZERO
    realized_pnl: Money = ZERO
    version: int = 0
    updated_at: datetime = Field(default_factory=utcnow)

    def unrealized_pnl(self, mark_price: Decimal | None) -> Decimal:
        if mark_price is None or self.quantity == ZERO:
            return ZERO
        return (mark_price - self.average_price) * self.quantity
