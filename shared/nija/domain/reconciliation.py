"""When each user's balances are compared with their positions at a broker (nija.logic.reconcile).

Work follows activity, not the clock times the user count: a user is reconciled a minute after a
fill (a due marker written with the fill), and otherwise once per sweep period, in the minute of the
period their id hashes to, so each minute's run reads one slot's users. The period keeps the sweep's
balance calls well inside each exchange's per-IP budget at 10,000 users per broker: Binance counts
20 of its 6,000-a-minute request weight per balance call, so its sweep takes 3 hours (10,000 / 180
= 56 users a minute, 1,111 weight, under a fifth of the budget); the other exchanges limit each key,
not the IP, and sweep hourly (167 users a minute at 10,000)."""

from __future__ import annotations

from datetime import datetime, timedelta

from nija.domain.ids import bucket_of
from nija.domain.models import BrokerName, Frozen

SWEEP_MINUTES: dict[BrokerName, int] = {
    BrokerName.PAPER: 60,
    BrokerName.COINBASE: 60,
    BrokerName.KRAKEN: 60,
    BrokerName.ALPACA: 60,
    BrokerName.BINANCE: 180,
}
AFTER_FILL = timedelta(minutes=1)  # time for the exchange's balances to show the fill
DUE_A_RUN = 200  # reminders a minute's run takes on, beside its sweep slot (8 at a time: ~2 s at 80 ms)
DUE_KEPT = timedelta(days=1)  # a due marker nobody reconciled (the broker down all day) expires


def sweep_slot(user_id: str, broker: BrokerName) -> int:
    """The minute of the broker's sweep period in which the user is reconciled."""
    return bucket_of(user_id, SWEEP_MINUTES[broker])


def slot_at(broker: BrokerName, now: datetime) -> int:
    """The slot the sweep visits in the minute `now` falls in."""
    return int(now.timestamp() // 60) % SWEEP_MINUTES[broker]


class Difference(Frozen):
    """A base asset whose quantity in our positions differs from the broker's balance of it."""

    user_id: str
    broker: BrokerName
    asset: str
    ours: str
    theirs: str


class Due(Frozen):
    """A reminder to reconcile a user at a broker, left by a fill; `due_at` in seconds since the epoch."""

    user_id: str
    broker: BrokerName
    due_at: int
