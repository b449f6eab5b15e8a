"""What a price means to the use cases: which broker errors leave "no price" and which must be waited
out, and the fee the capital check assumes where the broker's own is not known."""

from __future__ import annotations

from decimal import Decimal

from nija.domain.errors import BrokerError, NijaError
from nija.domain.models import BrokerName
from nija.ports.broker import Broker

# The highest base taker fee of the supported exchanges: the capital check errs on the safe side.
FEE_CEILING = Decimal("0.006")


def trading_price(broker: Broker, symbol: str) -> Decimal | None:
    """The broker's current price for a pre-trade check, None when it has none. A temporary failure
    (rate limit, timeout) propagates: the order waits and tries again rather than being refused for
    want of a price."""
    try:
        return broker.mark_price(symbol)
    except BrokerError as exc:
        if exc.retryable:
            raise
        return None
    except NijaError:
        return None


def display_price(broker: Broker, symbol: str) -> Decimal | None:
    """A mark price for display: None rather than an error when the broker cannot give one now."""
    try:
        return broker.mark_price(symbol)
    except NijaError:
        return None


def assumed_fee_rate(broker: BrokerName, paper_fee_rate: Decimal) -> Decimal:
    """Taker fee assumed by the capital check: the paper broker's setting; the ceiling elsewhere."""
    return paper_fee_rate if broker is BrokerName.PAPER else FEE_CEILING
