"""What a user chooses for the strategy engine: whether it trades for them, where, on what, how often
and with which thresholds. Risk choices (position share, daily loss limit, time zone...) are
nija.domain.risk.RiskSettings; GET and PUT /v1/settings show and take both together.

Scans find enabled users by shard (`scan_shard`): a scan invocation reads one shard, so a very large
user set spreads over parallel invocations (nija.logic.scan)."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from nija.domain.errors import InvalidInput
from nija.domain.ids import bucket_of
from nija.domain.instruments import instrument
from nija.domain.market import TIMEFRAME_SECONDS
from nija.domain.models import BrokerName, Frozen
from nija.domain.notifications import NotificationPrefs
from nija.domain.strategies import DEFAULT_STRATEGY, STRATEGIES, DualRsiSettings

SCAN_SHARDS = 16  # a scan's fan-out: one invocation per shard
MAX_SYMBOLS = 10


class StrategySettings(Frozen):
    enabled: bool = Field(False, description="the platform trades for the user on every scan")
    strategy: str = Field(DEFAULT_STRATEGY, description="which strategy decides")
    brokers: tuple[BrokerName, ...] = Field((), description="connected brokers to trade on")
    symbols: tuple[str, ...] = Field((), max_length=MAX_SYMBOLS, description="unified symbols, e.g. BTC/USD")
    timeframe: str = Field("5m", description="candle length the strategy reads")
    thresholds: DualRsiSettings = Field(default_factory=DualRsiSettings)
    notifications: NotificationPrefs = Field(
        default_factory=NotificationPrefs, description="which events send a push to the user's devices"
    )

    @field_validator("strategy")
    @classmethod
    def _known_strategy(cls, v: str) -> str:
        if v not in STRATEGIES:
            raise ValueError(f"unknown strategy; choose from {', '.join(sorted(STRATEGIES))}")
        return v

    @field_validator("timeframe")
    @classmethod
    def _known_timeframe(cls, v: str) -> str:
        if v not in TIMEFRAME_SECONDS:
            raise ValueError(f"timeframe must be one of {', '.join(TIMEFRAME_SECONDS)}")
        return v

    @field_validator("brokers", "symbols")
    @classmethod
    def _no_repeats(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(v)) != len(v):
            raise ValueError("list each one once")
        return v

    @field_validator("symbols")
    @classmethod
    def _traded_on_every_broker(cls, v: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for broker in info.data.get("brokers", ()):
            for symbol in v:
                try:
                    instrument(broker, symbol)
                except InvalidInput:
                    raise ValueError(f"{symbol} is not traded on {broker.value}") from None
        return v

    @model_validator(mode="after")
    def _something_to_trade(self) -> StrategySettings:
        if self.enabled and not (self.brokers and self.symbols):
            raise ValueError("enabling the strategy needs at least one broker and one symbol")
        return self

    def series(self) -> list[tuple[BrokerName, str, str]]:
        """The (broker, symbol, timeframe) series a scan evaluates for this user."""
        return [(b, s, self.timeframe) for b in self.brokers for s in self.symbols]


def scan_shard(user_id: str, shards: int = SCAN_SHARDS) -> int:
    """The scan shard a user belongs to: stable, and even across users."""
    return bucket_of(user_id, shards)
