"""The dashboard_api function's app: its routers only."""

from __future__ import annotations

from fastapi import FastAPI

from nija.api.apps import build_app, docs_enabled
from nija.api.routers import analytics, auth, devices, health, me, recovery, settings

DASHBOARD_ROUTERS = (
    health.router,
    auth.router,
    recovery.router,
    me.router,
    settings.router,
    analytics.router,
    devices.router,
)


def create_dashboard_app() -> FastAPI:
    return build_app("NIJA dashboard API", DASHBOARD_ROUTERS, docs=docs_enabled())
