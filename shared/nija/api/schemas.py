"""Response shapes of the HTTP API (requests are validated by the logic's own models)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nija.domain.credentials import CredentialMetadata
from nija.domain.models import BrokerName, Money, OrderType, Role, Side, Tier, User, UserStatus
from nija.domain.orders import Order, OrderStatus
from nija.domain.permissions import PermissionsRecord, UserPermissions
from nija.domain.risk import TradingMode
from nija.domain.tokens import MAX_TOKEN
from nija.logic.positions import MarkedPosition

T = TypeVar("T")

# A listing's next_token as a query parameter: opaque, bounded; its content is checked where it is read.
PageToken = Annotated[str | None, Query(max_length=MAX_TOKEN)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_token: str | None = None


class OrderOut(BaseModel):
    order_id: str
    client_order_id: str
    broker: BrokerName
    symbol: str
    side: Side
    type: OrderType
    quantity: Money
    limit_price: Money | None = None
    status: OrderStatus
    filled_quantity: Money
    average_fill_price: Money | None = None
    fees: Money
    reason_code: str | None = None
    reason_message: str | None = None
    cancel_requested: bool = False
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls.model_validate(
            order.model_dump(exclude={"user_id", "trade_ids", "broker_order_id", "source"})
        )


class PositionOut(BaseModel):
    broker: BrokerName
    symbol: str
    quantity: Money
    average_price: Money
    realized_pnl: Money
    mark_price: Money | None = None
    unrealized_pnl: Money | None = None

    @classmethod
    def of(cls, marked: MarkedPosition) -> PositionOut:
        p = marked.position
        return cls(
            broker=p.broker,
            symbol=p.symbol,
            quantity=p.quantity,
            average_price=p.average_price,
            realized_pnl=p.realized_pnl,
            mark_price=marked.mark_price,
            unrealized_pnl=marked.unrealized_pnl,
        )


class TradeOut(BaseModel):
    trade_id: str
    order_id: str
    broker: BrokerName
    symbol: str
    side: Side
    quantity: Money
    price: Money
    fee: Money
    realized_pnl: Money
    timestamp: datetime


# A light shape check; Cognito is the authority on addresses. (email-validator would add ~60 ms to
# every API cold start: FastAPI builds its OpenAPI contact models with it whenever it is installed.)
EMAIL_PATTERN = r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, Field(max_length=254, pattern=EMAIL_PATTERN)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
Code = Annotated[str, Field(min_length=6, max_length=8, pattern=r"^[0-9]+$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SignupIn(Strict):
    email: Email
    password: Password


class SignupOut(BaseModel):
    user_id: str
    confirmed: bool


class ConfirmIn(Strict):
    email: Email
    code: Code


class LoginIn(Strict):
    email: Email
    password: Password
    # A web client's ask: the refresh token in an HttpOnly cookie, not in the body.
    refresh_cookie: bool = False


class RefreshIn(Strict):
    # Or none, and the refresh cookie (nija.api.refresh_cookie) instead.
    refresh_token: str | None = Field(default=None, min_length=1, max_length=4096)
    # A web client's ask: the refresh token in an HttpOnly cookie, not in the body.
    refresh_cookie: bool = False


class MfaVerifyIn(Strict):
    email: Email
    session: str = Field(min_length=20, max_length=2048)  # Cognito's bounds for a challenge session
    code: Code
    # A web client's ask: the refresh token in an HttpOnly cookie, not in the body.
    refresh_cookie: bool = False


class MfaEnableIn(Strict):
    code: Code


class EmailIn(Strict):
    email: Email


class ResetIn(Strict):
    email: Email
    code: Code
    new_password: Password


class ChangePasswordIn(Strict):
    current_password: Password
    new_password: Password


class LogoutIn(Strict):
    # Or none, and the refresh cookie instead.
    refresh_token: str | None = Field(default=None, min_length=1, max_length=4096)
    everywhere: bool = False  # end every session of the user, not only this one


class MfaDisableIn(Strict):
    code: Code


class MfaSetupOut(BaseModel):
    secret_code: str
    otpauth_uri: str


class TokensOut(BaseModel):
    access_token: str | None = None
    id_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    token_type: str | None = None
    challenge: str | None = None
    session: str | None = None


class PermissionsView(BaseModel):
    """What an admin allows the user (nija.domain.permissions): null lists allow every one, null caps
    cap nothing; caps are in the quote currency of each order's symbol."""

    trading_enabled: bool
    allowed_brokers: list[BrokerName] | None
    allowed_symbols: list[str] | None
    max_order_value: Money | None
    max_position_value: Money | None

    @classmethod
    def of(cls, permissions: UserPermissions) -> PermissionsView:
        return cls.model_validate(permissions.model_dump())


class PermissionsOut(PermissionsView):
    """An admin's view: the permissions, and which admin set them last and when (null: never set)."""

    updated_by: str | None
    updated_at: datetime | None

    @classmethod
    def of_record(cls, record: PermissionsRecord) -> PermissionsOut:
        return cls.model_validate(
            {
                **record.permissions.model_dump(),
                "updated_by": record.updated_by,
                "updated_at": record.updated_at,
            }
        )


class MeOut(BaseModel):
    user_id: str
    email: str
    tier: Tier
    status: UserStatus
    role: Role
    mfa_enabled: bool
    requests_per_minute: int
    trading_disabled_reason: str | None = None
    created_at: datetime
    permissions: PermissionsView | None = Field(
        None,
        description="what an admin allows you, on GET /v1/me (the admin routes leave it out: "
        "GET /admin/users/{id}/permissions)",
    )

    @classmethod
    def of(cls, user: User, permissions: UserPermissions | None = None) -> MeOut:
        return cls(
            user_id=user.user_id,
            email=user.email,
            tier=user.tier,
            status=user.status,
            role=user.role,
            mfa_enabled=user.mfa_enabled,
            requests_per_minute=user.tier.requests_per_minute,
            trading_disabled_reason=user.trading_disabled_reason,
            created_at=user.created_at,
            permissions=PermissionsView.of(permissions) if permissions is not None else None,
        )


class TierIn(Strict):
    tier: Tier


class PermissionOut(BaseModel):
    read: bool
    trade: bool | None
    withdraw: bool | None


class CredentialOut(BaseModel):
    broker: BrokerName
    masked_key: str
    version: int
    permissions: PermissionOut
    paper_trading: bool | None = None
    created_at: datetime
    validated_at: datetime

    @classmethod
    def of(cls, meta: CredentialMetadata) -> CredentialOut:
        return cls(
            broker=meta.broker,
            masked_key=meta.masked_key,
            version=meta.version,
            permissions=PermissionOut(**meta.permissions.model_dump()),
            paper_trading=meta.paper_trading,
            created_at=meta.created_at,
            validated_at=meta.validated_at,
        )


class KillSwitchIn(Strict):
    engaged: bool
    mode: TradingMode = TradingMode.HALTED

    @model_validator(mode="after")
    def _mode(self) -> KillSwitchIn:
        if self.engaged and self.mode is TradingMode.ACTIVE:
            raise ValueError("mode must be halted or reducing when engaged")
        return self


class AdminKillSwitchIn(KillSwitchIn):
    scope: Literal["global", "broker"]
    broker: BrokerName | None = None

    @model_validator(mode="after")
    def _broker(self) -> AdminKillSwitchIn:
        if (self.scope == "broker") != (self.broker is not None):
            raise ValueError("broker is required for the broker scope, and only for it")
        return self


class KillSwitchOut(BaseModel):
    scope: str
    target: str
    engaged: bool
    mode: TradingMode
    engaged_by: str | None = None
    engaged_at: datetime | None = None

    @classmethod
    def of(cls, scope: Any, target: str, switch: Any) -> KillSwitchOut:
        if switch is None:
            return cls(scope=scope.value, target=target, engaged=False, mode=TradingMode.ACTIVE)
        return cls(
            scope=scope.value,
            target=target,
            engaged=True,
            mode=TradingMode(switch.mode),
            engaged_by=switch.engaged_by,
            engaged_at=switch.engaged_at,
        )


class QueueDepth(BaseModel):
    queue: str
    visible: int
    in_flight: int


class BreakerOut(BaseModel):
    broker: str
    state: str
    failures: int
    opened_at: datetime | None = None


class HealthOut(BaseModel):
    queues: list[QueueDepth]
    dead_letter_queues: list[QueueDepth]
    breakers: list[BreakerOut]
    kill_switches: list[KillSwitchOut]


class Health(BaseModel):
    status: str
    stage: str
    version: str
