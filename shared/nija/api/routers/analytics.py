"""GET /v1/dashboard, GET /v1/analytics/equity and GET /v1/analytics/pnl/daily: the caller's own
figures only (nija.logic.analytics)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from nija import wiring
from nija.api.auth import current_principal
from nija.domain.models import Instant, Principal
from nija.logic.analytics import MAX_DAYS, Analytics, DailyPnlSeries, Dashboard, EquitySeries, Resolution

router = APIRouter(prefix="/v1", tags=["analytics"])
AnalyticsDep = Annotated[Analytics, Depends(wiring.analytics)]
Caller = Annotated[Principal, Depends(current_principal)]


@router.get("/dashboard", response_model=Dashboard)
def dashboard(caller: Caller, analytics: AnalyticsDep) -> Dashboard:
    """Equity (live at the paper broker, the last valuation elsewhere), cash, unrealized PnL (open
    positions at their mark), realized PnL (every position's running total, fees deducted), today's
    PnL (equity now less the equity at the start of the caller's day in their risk time zone; null
    before any valuation) and the open positions."""
    return analytics.dashboard(caller.user_id)


@router.get("/analytics/equity", response_model=EquitySeries)
def equity(
    caller: Caller,
    analytics: AnalyticsDep,
    since: Annotated[Instant | None, Query(description="ISO 8601; default: a day before until")] = None,
    until: Annotated[Instant | None, Query(description="ISO 8601; default: now")] = None,
    resolution: Annotated[Resolution, Query()] = "5m",
) -> EquitySeries:
    """The caller's equity over [since, until) (at most 92 days), one point per resolution bucket
    (the last valuation in it). A valuation is made before each of the caller's orders and kept per
    5 minutes; a bucket without one has no point."""
    return analytics.equity_series(caller.user_id, since, until, resolution)


@router.get("/analytics/pnl/daily", response_model=DailyPnlSeries)
def daily_pnl(
    caller: Caller, analytics: AnalyticsDep, days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = 30
) -> DailyPnlSeries:
    """Realized PnL per day in the caller's time zone (fees deducted), oldest first, ending today:
    fills, closing fills (those that reduced a position) and the win rate among them."""
    return analytics.daily_pnl(caller.user_id, days)
