"""What an admin allows a user (GET and PUT /admin/users/{id}/permissions; shown on GET /v1/me): the
original bot's UserPermissions, per user and stored.

- `trading_enabled`: false refuses every order, closing ones too (``trading_disabled``), and the
  scan makes none for the user.
- `allowed_brokers` / `allowed_symbols`: None allows every one; a list allows only those (an empty
  list: none). Refused with ``broker_not_allowed`` / ``symbol_not_allowed``.
- `max_order_value`: quantity x price of one order, at most this (``order_value_limit``).
- `max_position_value`: |position after the order| x price at the order's broker and symbol, at most
  this (``position_value_limit``). Both caps are in the quote currency of the order's symbol (USD for
  BTC/USD, USDT for BTC/USDT); None is no cap. Exactly at a cap passes.

An order that strictly reduces a position passes the broker, symbol and value checks, so narrowing a
user's permissions never traps a position they hold; only `trading_enabled: false` stops those too.
The defaults restrict nothing: a user no admin has touched trades as before."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal

from pydantic import Field, ValidationInfo, field_validator

from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName, Frozen, Money
from nija.domain.money import ZERO, fmt
from nija.domain.risk import Refusal, RefusalCode

MAX_ALLOWED_SYMBOLS = 50
MAX_VALUE = Decimal("1000000000000")  # a cap above this is a typo, not a limit
SYMBOL = re.compile(r"^[A-Z0-9]{1,15}/[A-Z0-9]{1,15}$")


class UserPermissions(Frozen):
    """The permissions as an admin sets them (the whole set: PUT replaces it)."""

    trading_enabled: bool = Field(True, description="false: no order at all, closing ones included")
    allowed_brokers: tuple[BrokerName, ...] | None = Field(
        None, description="the brokers the user may trade on; null: every broker"
    )
    allowed_symbols: tuple[str, ...] | None = Field(
        None,
        max_length=MAX_ALLOWED_SYMBOLS,
        description="unified symbols (BTC/USD) the user may trade; null: every symbol",
    )
    max_order_value: Money | None = Field(
        None, description="one order's quantity x price at most, in the symbol's quote currency; null: no cap"
    )
    max_position_value: Money | None = Field(
        None,
        description="a position's value after an order at most, in the symbol's quote currency; null: no cap",
    )

    @field_validator("allowed_brokers", "allowed_symbols")
    @classmethod
    def _no_repeats(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError("list each one once")
        return v

    @field_validator("allowed_symbols")
    @classmethod
    def _unified_symbols(cls, v: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for symbol in v or ():
            if not SYMBOL.match(symbol):
                raise ValueError(
                    f"{symbol!r} is not a unified symbol such as 'BTC/USD' (BASE/QUOTE, capitals)"
                )
        return v

    @field_validator("max_order_value", "max_position_value")
    @classmethod
    def _positive(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and not ZERO < v <= MAX_VALUE:
            raise ValueError(f"must be greater than 0 and at most {fmt(MAX_VALUE)} (or null: no cap)")
        return v

    def allows_broker(self, broker: BrokerName) -> bool:
        return self.allowed_brokers is None or broker in self.allowed_brokers

    def allows_symbol(self, symbol: str) -> bool:
        return self.allowed_symbols is None or symbol in self.allowed_symbols

    def entry_cap(self) -> tuple[Decimal, RefusalCode] | None:
        """The most a new position may be worth when one order opens it (both caps apply), and the
        code of the cap that binds; None when neither is set."""
        caps = [
            (cap, code)
            for cap, code in (
                (self.max_order_value, RefusalCode.ORDER_VALUE_LIMIT),
                (self.max_position_value, RefusalCode.POSITION_VALUE_LIMIT),
            )
            if cap is not None
        ]
        return min(caps, key=lambda c: c[0]) if caps else None


class PermissionsRequest(UserPermissions):
    """The body of PUT /admin/users/{id}/permissions: as stored, and every symbol traded on an allowed
    broker (checked when set only: a symbol delisted later does not make stored permissions unreadable)."""

    @field_validator("allowed_symbols")
    @classmethod
    def _symbols_traded(cls, v: tuple[str, ...] | None, info: ValidationInfo) -> tuple[str, ...] | None:
        allowed = info.data.get("allowed_brokers")
        brokers = tuple(BrokerName) if allowed is None else allowed
        traded = {symbol for broker in brokers for symbol in INSTRUMENTS[broker]}
        unknown = [s for s in v or () if s not in traded]
        if unknown:
            raise ValueError(f"not traded on any allowed broker: {', '.join(unknown)}")
        return v

    def permissions(self) -> UserPermissions:
        return UserPermissions.model_validate(self.model_dump())


class PermissionsRecord(Frozen):
    """The permissions as stored: who set them last and when (None: never set, the defaults)."""

    permissions: UserPermissions = Field(default_factory=UserPermissions)
    updated_by: str | None = None
    updated_at: datetime | None = None


def trading_refusal(permissions: UserPermissions) -> Refusal | None:
    if permissions.trading_enabled:
        return None
    return Refusal(
        code=RefusalCode.TRADING_DISABLED.value,
        message="trading is turned off for this account by an administrator",
    )


def order_refusal(
    permissions: UserPermissions,
    broker: BrokerName,
    symbol: str,
    order_value: Decimal,
    position_value: Decimal,
) -> Refusal | None:
    """The first of the broker, symbol and value checks that refuses this order (one that does not
    strictly reduce a position: the caller exempts those), or None."""
    p = permissions
    if not p.allows_broker(broker):
        allowed = ", ".join(b.value for b in p.allowed_brokers or ()) or "none"
        return Refusal(
            code=RefusalCode.BROKER_NOT_ALLOWED.value,
            message=f"trading on {broker.value} is not allowed for this account (allowed: {allowed})",
        )
    if not p.allows_symbol(symbol):
        allowed = ", ".join(p.allowed_symbols or ()) or "none"
        return Refusal(
            code=RefusalCode.SYMBOL_NOT_ALLOWED.value,
            message=f"trading {symbol} is not allowed for this account (allowed: {allowed})",
        )
    quote = symbol.split("/")[-1]
    if p.max_order_value is not None and order_value > p.max_order_value:
        return Refusal(
            code=RefusalCode.ORDER_VALUE_LIMIT.value,
            message=f"the order is worth {fmt(order_value)} {quote}, above this account's maximum order "
            f"value of {fmt(p.max_order_value)} {quote}",
        )
    if p.max_position_value is not None and position_value > p.max_position_value:
        return Refusal(
            code=RefusalCode.POSITION_VALUE_LIMIT.value,
            message=f"the position in {symbol} at {broker.value} would be worth {fmt(position_value)} "
            f"{quote}, above this account's maximum position value of {fmt(p.max_position_value)} {quote}",
        )
    return None


def series_refusal(
    permissions: UserPermissions, broker: BrokerName, symbol: str, *, holds: bool
) -> str | None:
    """The code that keeps a user out of a strategy series, or None. A series they hold a position in
    stays while trading is on: its exit may go out."""
    if not permissions.trading_enabled:
        return RefusalCode.TRADING_DISABLED.value
    if holds:
        return None
    if not permissions.allows_broker(broker):
        return RefusalCode.BROKER_NOT_ALLOWED.value
    if not permissions.allows_symbol(symbol):
        return RefusalCode.SYMBOL_NOT_ALLOWED.value
    return None
