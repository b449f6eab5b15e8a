"""What the executor (nija.logic.execution) is given besides storage and the broker, as ports, and
the null objects a test or a benchmark gives when it is not about them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from nija.domain.risk import Refusal, RiskSettings
from nija.domain.switches import Breaker
from nija.logic.pretrade import PreTradeState

if TYPE_CHECKING:
    from nija.domain.orders import Order
    from nija.ports.broker import BrokerAccount


class Guard(Protocol):
    """The user's standing for a broker (kill switches, keys, breaker, risk state) and the hard risk
    controls, checked just before a submit (nija.logic.pretrade.PreTradeGuard)."""

    def state(self, order: Order) -> PreTradeState: ...

    def __call__(self, order: Order, account: BrokerAccount, state: PreTradeState) -> Refusal | None: ...

    def broker_result(self, user_id: str, ok: bool, seen: PreTradeState | None = None) -> str | None: ...


class Breakers(Protocol):
    """A broker's circuit breaker around every submit (nija.logic.controls.Controls)."""

    def before_call(self, broker: str, seen: Breaker | None = None) -> Breaker:
        """The breaker for this call; raises CircuitOpen while it holds calls back."""

    def after_call(self, broker: str, ok: bool, seen: Breaker | None = None) -> Breaker: ...


class NoGuard:
    """Every order may go: connected, no switch, no limit, nothing counted."""

    def state(self, order: Order) -> PreTradeState:
        return PreTradeState(
            user=None,
            settings=RiskSettings(),
            connected=True,
            switches=(),
            breaker=Breaker(broker=order.broker.value),
        )

    def __call__(self, order: Order, account: BrokerAccount, state: PreTradeState) -> Refusal | None:
        return None

    def broker_result(self, user_id: str, ok: bool, seen: PreTradeState | None = None) -> str | None:
        return None


class NoBreakers:
    """A breaker that never opens."""

    def before_call(self, broker: str, seen: Breaker | None = None) -> Breaker:
        return seen or Breaker(broker=broker)

    def after_call(self, broker: str, ok: bool, seen: Breaker | None = None) -> Breaker:
        return seen or Breaker(broker=broker)
