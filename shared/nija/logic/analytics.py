"""The user's dashboard and analytics: equity, cash and PnL now, the equity series and daily PnL.

Nothing here reads trades: realized PnL is the running total each position carries (updated in the
fill's transaction), the equity series comes from the 5-minute snapshots the executor writes when it
values the account before an order, and daily PnL from the 15-minute buckets each fill adds to. A
request costs a handful of single-partition reads whatever the length of the user's history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from nija.domain.errors import InvalidInput
from nija.domain.instruments import INSTRUMENTS
from nija.domain.models import BrokerName, Money, Position, utcnow
from nija.domain.money import ZERO
from nija.domain.risk import RiskSettings
from nija.logic.pretrade import MarkPrice, broker_equity
from nija.logic.risk import local_day_start
from nija.ports.analytics import AnalyticsStore, EquityPoint
from nija.ports.broker import Balance

Resolution = Literal["5m", "1h", "1d"]
RESOLUTIONS: dict[str, timedelta] = {
    "5m": timedelta(minutes=5),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
MAX_RANGE = timedelta(days=92)
MAX_DAYS = 366
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class DashboardPosition(BaseModel):
    broker: BrokerName
    symbol: str
    quantity: Money
    average_price: Money
    mark_price: Money | None
    unrealized_pnl: Money | None
    realized_pnl: Money


class BrokerEquity(BaseModel):
    broker: BrokerName
    equity: Money
    cash: Money | None  # None where the broker's balances are not read live (its last valuation)
    as_of: datetime
    live: bool


class Dashboard(BaseModel):
    equity: Money
    cash: Money
    unrealized_pnl: Money
    realized_pnl: Money
    today_pnl: Money | None
    day_start_equity: Money | None
    open_positions: int
    positions: list[DashboardPosition]
    brokers: list[BrokerEquity]
    time_zone: str
    as_of: datetime


class EquitySeriesPoint(BaseModel):
    at: datetime
    equity: Money


class EquitySeries(BaseModel):
    resolution: Resolution
    since: datetime
    until: datetime
    points: list[EquitySeriesPoint]


class DailyPnl(BaseModel):
    date: date
    realized_pnl: Money
    trades: int
    closing_trades: int
    wins: int
    win_rate: Money | None  # wins / closing trades, None on a day without one


class DailyPnlSeries(BaseModel):
    time_zone: str
    days: list[DailyPnl]
    realized_pnl: Money
    trades: int
    win_rate: Money | None


def quote_currency(broker: BrokerName) -> str:
    return next(iter(INSTRUMENTS[broker].values())).quote


def _win_rate(wins: int, closing: int) -> Decimal | None:
    return (Decimal(wins) / Decimal(closing)).quantize(Decimal("0.0001")) if closing else None


# Live balances at a broker that can be read in process (the paper broker), else None.
LiveBalances = Callable[[BrokerName, str], dict[str, Balance] | None]


@dataclass(frozen=True)
class Analytics:
    positions: Callable[[str], list[Position]]
    store: AnalyticsStore
    risk_settings: Callable[[str], RiskSettings]
    balances: LiveBalances
    mark_price: MarkPrice
    clock: Callable[[], datetime] = field(default=utcnow)

    def dashboard(self, user_id: str) -> Dashboard:
        now = self.clock()
        zone = self.risk_settings(user_id).time_zone
        positions = self.positions(user_id)
        recorded, day_record = self.store.equity_state(user_id)
        marks: dict[tuple[BrokerName, str], Decimal | None] = {}

        def mark(broker: BrokerName, symbol: str) -> Decimal | None:
            if (broker, symbol) not in marks:
                marks[(broker, symbol)] = self.mark_price(broker, symbol)
            return marks[(broker, symbol)]

        out_positions = []
        unrealized = realized = ZERO
        for p in positions:
            realized += p.realized_pnl
            if p.quantity == ZERO:
                continue
            price = mark(p.broker, p.symbol)
            upnl = p.unrealized_pnl(price) if price is not None else None
            unrealized += upnl or ZERO
            out_positions.append(
                DashboardPosition(
                    broker=p.broker,
                    symbol=p.symbol,
                    quantity=p.quantity,
                    average_price=p.average_price,
                    mark_price=price,
                    unrealized_pnl=upnl,
                    realized_pnl=p.realized_pnl,
                )
            )
        brokers = []
        names = {BrokerName.PAPER, *(p.broker for p in positions)}
        names |= {BrokerName(b) for b in recorded if b in BrokerName._value2member_map_}
        for broker in sorted(names, key=lambda b: b.value):
            live = self.balances(broker, user_id)
            if live:
                quote = quote_currency(broker)
                value = broker_equity(live, quote, lambda s, b=broker: mark(b, s))  # type: ignore[misc]
                cash = live[quote].total if quote in live else ZERO
                brokers.append(BrokerEquity(broker=broker, equity=value, cash=cash, as_of=now, live=True))
            elif broker.value in recorded:
                at, value = recorded[broker.value]
                brokers.append(BrokerEquity(broker=broker, equity=value, cash=None, as_of=at, live=False))
        equity = sum((b.equity for b in brokers), ZERO)
        day_start = self._day_start(user_id, local_day_start(now, zone), day_record)
        return Dashboard(
            equity=equity,
            cash=sum((b.cash for b in brokers if b.cash is not None), ZERO),
            unrealized_pnl=unrealized,
            realized_pnl=realized,
            today_pnl=equity - day_start if day_start is not None else None,
            day_start_equity=day_start,
            open_positions=len(out_positions),
            positions=out_positions,
            brokers=brokers,
            time_zone=zone,
            as_of=now,
        )

    def _day_start(
        self, user_id: str, today: datetime, record: tuple[datetime, Decimal] | None
    ) -> Decimal | None:
        """The equity at the start of the user's day: the executor's day-start record when its first
        order today wrote one, else the last snapshot before the day began."""
        if record is not None and record[0] >= today:
            return record[1]
        before = self.store.last_snapshot_before(user_id, today)
        return before.equity if before is not None else None

    def equity_series(
        self, user_id: str, since: datetime | None, until: datetime | None, resolution: Resolution
    ) -> EquitySeries:
        until = (until or self.clock()).astimezone(UTC)
        since = (since or until - timedelta(days=1)).astimezone(UTC)
        if since >= until:
            raise InvalidInput("since must be before until", field="since")
        if until - since > MAX_RANGE:
            raise InvalidInput(f"the range may span at most {MAX_RANGE.days} days", field="since")
        step = RESOLUTIONS[resolution]
        kept: dict[datetime, EquityPoint] = {}  # the last snapshot in each bucket of the resolution
        for point in self.store.snapshots(user_id, since, until):
            kept[EPOCH + (point.bucket - EPOCH) // step * step] = point
        points = [EquitySeriesPoint(at=p.at, equity=p.equity) for p in kept.values()]
        return EquitySeries(resolution=resolution, since=since, until=until, points=points)

    def daily_pnl(self, user_id: str, days: int) -> DailyPnlSeries:
        if not 1 <= days <= MAX_DAYS:
            raise InvalidInput(f"days must be between 1 and {MAX_DAYS}", field="days")
        zone_name = self.risk_settings(user_id).time_zone
        zone = ZoneInfo(zone_name)
        today = self.clock().astimezone(zone).date()
        dates = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]

        def start(d: date) -> datetime:
            return local_day_start(datetime.combine(d, time(12), tzinfo=zone), zone_name)

        totals = {d: [ZERO, 0, 0, 0] for d in dates}
        for b in self.store.pnl_buckets(user_id, start(dates[0]), start(today + timedelta(days=1))):
            day = totals.get(b.start.astimezone(zone).date())
            if day is not None:
                day[0] += b.realized
                day[1] += b.trades
                day[2] += b.closing
                day[3] += b.wins
        out = [
            DailyPnl(
                date=d,
                realized_pnl=v[0],
                trades=v[1],
                closing_trades=v[2],
                wins=v[3],
                win_rate=_win_rate(v[3], v[2]),
            )
            for d, v in totals.items()
        ]
        return DailyPnlSeries(
            time_zone=zone_name,
            days=out,
            realized_pnl=sum((d.realized_pnl for d in out), ZERO),
            trades=sum(d.trades for d in out),
            win_rate=_win_rate(sum(d.wins for d in out), sum(d.closing_trades for d in out)),
        )
