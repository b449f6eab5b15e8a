"""App factories. Lambda functions wrap one with Mangum; the local stack serves them with uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from nija import __version__, wiring
from nija.api.errors import install_error_handlers
from nija.api.routers import admin, auth, brokers, health, me, orders, positions
from nija.config import get_settings

MAX_BODY_BYTES = 64 * 1024  # no request of this API comes near it
TRADING_ROUTERS = (health.router, orders.router, positions.router, brokers.router)
DASHBOARD_ROUTERS = (health.router, auth.router, me.router)
ADMIN_ROUTERS = (health.router, admin.router)


def _app(title: str, routers: tuple, *, docs: bool) -> FastAPI:  # type: ignore[type-arg]
    app = FastAPI(
        title=title,
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
        max_body_size=MAX_BODY_BYTES,
    )
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    if get_settings().auth_mode == "verify":
        # The local stack does what API Gateway does in the cloud: verify the token (outermost), then
        # hold each user to their tier's requests a minute. The JWT libraries load only here.
        from nija.api.ratelimit import RateLimitMiddleware, SlidingWindowLimiter
        from nija.api.verify import VerifyTokenMiddleware

        app.add_middleware(RateLimitMiddleware, limiter=SlidingWindowLimiter())
        app.add_middleware(VerifyTokenMiddleware, users=wiring.store())
    return app


def create_trading_app() -> FastAPI:
    return _app("NIJA trading API", TRADING_ROUTERS, docs=get_settings().stage != "prod")


def create_dashboard_app() -> FastAPI:
    return _app("NIJA dashboard API", DASHBOARD_ROUTERS, docs=get_settings().stage != "prod")


def create_admin_app() -> FastAPI:
    return _app("NIJA admin API", ADMIN_ROUTERS, docs=get_settings().stage != "prod")


def create_local_app() -> FastAPI:
    """Every API app's routes on one port, as API Gateway puts them on one domain."""
    routers = (*TRADING_ROUTERS, auth.router, me.router, admin.router)
    return _app("NIJA API (local stack)", routers, docs=True)
