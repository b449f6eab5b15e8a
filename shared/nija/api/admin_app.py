"""The admin_api function's app: its routers only."""

from __future__ import annotations

from fastapi import FastAPI

from nija.api.apps import build_app, docs_enabled
from nija.api.routers import admin, admin_users, audit, health, permissions

ADMIN_ROUTERS = (health.router, admin.router, admin_users.router, permissions.router, audit.router)


def create_admin_app() -> FastAPI:
    return build_app("NIJA admin API", ADMIN_ROUTERS, docs=docs_enabled())
