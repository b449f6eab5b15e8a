"""Reconciliation: the broker's balances against the positions we recorded, per user and broker.

Nothing is changed (a person decides what is right). A difference is audited when it appears or
changes, and its end when it goes: a user checked every hour with the same drift is one record, not
one an hour. Each check also values the account at the broker (its equity, recorded as the pre-trade
checks record it), which is what the strategy scan sizes a first entry from: the scan never asks a
broker itself. Users are checked a few at a time (`workers`), each call waiting on the exchange."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from nija.domain.audit import AuditEvent, Outcome
from nija.domain.errors import AccountInactive, BrokerError
from nija.domain.instruments import home_quote
from nija.domain.models import BrokerName, Position, utcnow
from nija.domain.money import ZERO, fmt
from nija.domain.reconciliation import Difference
from nija.logic.pretrade import MarkPrice, RiskStore, broker_equity
from nija.ports.audit import AuditLog
from nija.ports.broker import Balance, Broker
from nija.ports.reconcile import ReconcileBook
from nija.ports.stores import Ledger

WORKERS = 8


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
class ReconcileReport:
    checked: list[str] = field(default_factory=list)  # users whose balances were read
    skipped: Counter[str] = field(default_factory=Counter)  # users not checked, by reason
    recorded: list[Difference] = field(default_factory=list)  # differences new or changed this run


def _event(action: str, outcome: Outcome, diff: Difference, **more: str) -> AuditEvent:
    details = {"broker": diff.broker.value, "asset": diff.asset, "ours": diff.ours, "theirs": diff.theirs}
    return AuditEvent(
        action=action, outcome=outcome, subject=diff.user_id, actor="reconciliation", details=details | more
    )


@dataclass
class Reconciler:
    broker: Broker
    ledger: Ledger
    audit: AuditLog
    book: ReconcileBook
    risk: RiskStore
    mark_price: MarkPrice
    clock: Callable[[], datetime] = utcnow
    workers: int = WORKERS

    def run(self, users: Iterable[str]) -> ReconcileReport:
        report, users = ReconcileReport(), list(users)
        with ThreadPoolExecutor(max_workers=self.workers) as pool:
            for user_id, outcome in zip(users, pool.map(self._check, users), strict=True):
                if isinstance(outcome, str):
                    report.skipped[outcome] += 1
                else:
                    report.checked.append(user_id)
                    report.recorded.extend(outcome)
        return report

    def _check(self, user_id: str) -> list[Difference] | str:
        """The differences recorded for the user (new or changed), or why they were not checked."""
        try:
            balances = self.broker.account(user_id).balances()
        except BrokerError as exc:
            return exc.code  # the next run looks again; the breaker and the logs tell about the broker
        name, now = self.broker.name, self.clock()
        try:
            quote = home_quote(name)
            equity = broker_equity(balances, quote, lambda symbol: self.mark_price(name, symbol))
            self.risk.record_equity(user_id, name.value, equity, now)
            found = tuple(compare(user_id, name, self.ledger.list_positions(user_id), balances))
            before = self.book.last(user_id, name)
            if before == found:
                return []
            recorded = self._record(before or (), found)
            self.book.remember(user_id, name, found, now)
        except AccountInactive:
            return "account_inactive"  # being erased: nothing more is written for them
        return recorded

    def _record(self, before: tuple[Difference, ...], found: tuple[Difference, ...]) -> list[Difference]:
        was = {d.asset: d for d in before}
        now = {d.asset: d for d in found}
        for asset, diff in was.items():
            if asset not in now:
                self.audit.record(_event("reconcile.resolved", Outcome.SUCCESS, diff))
        recorded = [d for d in found if was.get(d.asset) != d]
        for diff in recorded:
            self.audit.record(_event("reconcile.difference", Outcome.FAILURE, diff))
        return recorded
