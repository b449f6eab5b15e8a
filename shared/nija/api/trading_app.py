"""The trading_api function's app: its routers only."""

from __future__ import annotations

from fastapi import FastAPI

from nija.api.apps import build_app, docs_enabled
from nija.api.routers import backtests, brokers, controls, health, orders, positions

TRADING_ROUTERS = (
    health.router,
    orders.router,
    positions.router,
    brokers.router,
    controls.router,
    backtests.router,
)


def create_trading_app() -> FastAPI:
    return build_app("NIJA trading API", TRADING_ROUTERS, docs=docs_enabled())
