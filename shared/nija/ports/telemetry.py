"""What the use cases tell the people who run the platform: business metrics and log lines.

A port, so that logic/ imports no Powertools: the functions plug in nija.observability's
PowertoolsTelemetry (CloudWatch embedded metrics, the function's JSON log lines), the tests a
recorder or NoTelemetry. The metric names and dimensions are here, the one place the code and the CDK
app's alarms and dashboard (infra_cdk/constructs/observability.py) read them from.
"""

from __future__ import annotations

from typing import Any, Protocol

NAMESPACE = "NIJA"

# One data point per order the trading API accepted (POST /v1/orders answered 202). Dimension: broker.
ORDERS_PLACED = "OrdersPlaced"
# One per order that became fully filled at its broker. Dimension: broker.
ORDERS_FILLED = "OrdersFilled"
# One per order the executor refused or the broker rejected. Dimensions: broker, reason_code (the error
# codes of nija.domain.errors and the pre-trade refusals: a fixed, small set).
ORDERS_REFUSED = "OrdersRefused"
# One per order message dropped because its account is being erased or gone (nija.domain.standing).
# Dimension: broker.
ORDERS_DROPPED = "OrdersDropped"
# Milliseconds one shard of a strategy scan took. Dimension: broker.
SCAN_DURATION = "ScanDuration"
# Users a scan shard passed over, by why (nija.logic.scan: halted, halted_or_disabled, reducing,
# no_size, no_candles, market_data_error, signal_error, invalid_settings, broker_error,
# account_inactive, unavailable, enqueue_error, error; an admin's permissions: trading_disabled,
# broker_not_allowed, symbol_not_allowed, order_value_limit, position_value_limit). Dimensions:
# broker, reason.
SCAN_USERS_SKIPPED = "ScanUsersSkipped"
# A broker's circuit breaker: 1 when it opens (and for each call it holds back), 0 when it closes.
# Dimension: broker. The alarm keeps its state while no data comes (see the CDK construct).
BREAKER_OPEN = "BreakerOpen"
# Audit chains an anchoring run found no longer holding their anchored head. Dimension: service.
AUDIT_CHAINS_BROKEN = "AuditChainsBroken"

BROKER = "broker"
REASON_CODE = "reason_code"


class Telemetry(Protocol):
    def count(self, metric: str, value: float = 1, **dimensions: str) -> None:
        """One data point of a business metric, with its own dimensions."""

    def info(self, message: str, **fields: Any) -> None: ...

    def warning(self, message: str, **fields: Any) -> None: ...


class NoTelemetry:
    """Tells nobody: for tests that do not look."""

    def count(self, metric: str, value: float = 1, **dimensions: str) -> None:
        pass

    def info(self, message: str, **fields: Any) -> None:
        pass

    def warning(self, message: str, **fields: Any) -> None:
        pass
