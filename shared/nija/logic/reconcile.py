"""Reconciliation: the broker's balances against the positions we recorded, per user and broker.
Every difference is returned and audited; nothing is changed (a person decides what is right)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import BrokerError
from nija.domain.models import BrokerName, Frozen, Position
from nija.domain.money import ZERO, fmt
from nija.ports.audit import AuditLog
from nija.ports.broker import Balance, Broker
from nija.ports.stores import Ledger


class Difference(Frozen):
    user_id: str
    broker: BrokerName
    asset: str
    ours: str
    theirs: str


def compare(
    user_id: str, broker: BrokerName, positions: Iterable[Position], balances: dict[str, Balance]
) -> list[Difference]:
    """Each base asset we hold positions in must match the broker's total of that asset."""
    ours: dict[str, Decimal] = {}
    for p in positions:
        if p.broker is broker:
            base = p.symbol.split("/")[0]
            ours[base] = ours.get(base, ZERO) + p.quantity
    differences = []
    for asset, quantity in sorted(ours.items()):
        theirs = balances[asset].total if asset in balances else ZERO
        if quantity != theirs:
            differences.append(
                Difference(
                    user_id=user_id, broker=broker, asset=asset, ours=fmt(quantity), theirs=fmt(theirs)
                )
            )
    return differences


@dataclass
class Reconciler:
    broker: Broker
    ledger: Ledger
    audit: AuditLog

    def run(self, users: Iterable[str]) -> list[Difference]:
        found: list[Difference] = []
        for user_id in users:
            try:
                balances = self.broker.account(user_id).balances()
            except BrokerError:
                continue  # the next run looks again; the breaker and the logs tell about the broker
            for diff in compare(user_id, self.broker.name, self.ledger.list_positions(user_id), balances):
                self.audit.record(
                    AuditEvent(
                        action="reconcile.difference",
                        outcome=Outcome.FAILURE,
                        subject=user_id,
                        actor="reconciliation",
                        details={
                            "broker": diff.broker.value,
                            "asset": diff.asset,
                            "ours": diff.ours,
                            "theirs": diff.theirs,
                        },
                    )
                )
                found.append(diff)
        return found
