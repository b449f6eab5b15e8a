"""POST /v1/backtests: replay a strategy over historical candles, fetched from a broker's market data or
sent inline, with fees and slippage; the same engine as `nija backtest` (nija.logic.backtests)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field

from nija import wiring
from nija.api.auth import current_principal
from nija.domain.backtest import BacktestResult
from nija.domain.errors import InvalidInput
from nija.domain.market import Candle
from nija.domain.models import BrokerName, Instant, Principal
from nija.logic import backtests
from nija.logic.backtests import MAX_FETCH, MIN_CANDLES, BacktestOptions

router = APIRouter(prefix="/v1", tags=["backtests"])
Caller = Annotated[Principal, Depends(current_principal)]

# Inline candles must fit the API's 64 KiB body limit (about 110 bytes a candle in JSON).
MAX_INLINE_CANDLES = 500


class BacktestBody(BacktestOptions):
    """Either `broker`, `symbol` and `timeframe` (the last `limit` closed candles up to `until`,
    fetched through the broker's market data), or `candles` inline (oldest first)."""

    broker: BrokerName | None = Field(None, description="fetch candles from this broker's market data")
    symbol: str | None = Field(None, min_length=1, max_length=32, description="unified symbol, e.g. BTC/USD")
    timeframe: str | None = Field(None, description="candle length; inferred from inline candles if omitted")
    limit: int = Field(500, ge=MIN_CANDLES, le=MAX_FETCH, description="how many candles to fetch")
    until: Instant | None = Field(None, description="the last fetched candle closes at or before this (now)")
    candles: list[Candle] | None = Field(
        None,
        min_length=MIN_CANDLES,
        max_length=MAX_INLINE_CANDLES,
        description="candles to use instead of fetching",
    )


def candles_for(body: BacktestBody) -> list[Candle]:
    if body.candles is not None:
        if body.broker is not None or body.symbol is not None:
            raise InvalidInput("send either candles or broker and symbol, not both", field="candles")
        return body.candles
    if body.broker is None:
        raise InvalidInput("broker is required unless candles are sent", field="broker")
    if body.symbol is None:
        raise InvalidInput("symbol is required with broker", field="symbol")
    if body.timeframe is None:
        raise InvalidInput("timeframe is required with broker", field="timeframe")
    market = wiring.market_data(body.broker)
    return backtests.fetch_candles(market, body.symbol, body.timeframe, body.limit, body.until)


@router.post("/backtests", response_model=BacktestResult)
def run_backtest(body: BacktestBody, caller: Caller) -> BacktestResult:
    """Run the strategy over the candles: decided on each closed candle, filled at the next open
    moved by the slippage, the fee on each fill's notional. Returns the trades, the equity per bar,
    total return, max drawdown, win rate and the annualised Sharpe ratio."""
    return backtests.run(body, candles_for(body), body.timeframe)
