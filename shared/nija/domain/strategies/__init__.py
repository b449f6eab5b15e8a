"""Trading strategies, pure: the interface (`base`), the strategies, and the registry by name."""

from __future__ import annotations

from typing import Any

from nija.domain.errors import InvalidInput
from nija.domain.strategies.base import (
    Action,
    Decision,
    Holding,
    Reason,
    SeriesStrategy,
    Strategy,
    closed_candles,
    parse_settings,
)
from nija.domain.strategies.dual_rsi import DualRsi, DualRsiSettings, DualRsiSignals

STRATEGIES: dict[str, Strategy[Any, Any]] = {DualRsi.name: DualRsi()}
DEFAULT_STRATEGY = DualRsi.name


def get_strategy(name: str) -> Strategy[Any, Any]:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise InvalidInput(
            f"unknown strategy {name!r}; choose from {', '.join(sorted(STRATEGIES))}", field="strategy"
        ) from None


__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "Action",
    "Decision",
    "DualRsi",
    "DualRsiSettings",
    "DualRsiSignals",
    "Holding",
    "Reason",
    "SeriesStrategy",
    "Strategy",
    "closed_candles",
    "get_strategy",
    "parse_settings",
]
