"""App factories. Lambda functions wrap one with Mangum; the local stack serves them with uvicorn."""

from __future__ import annotations

from fastapi import FastAPI

from nija import __version__, wiring
from nija.api.errors import install_error_handlers
from nija.api.routers import auth, health, orders, positions
from nija.config import get_settings

TRADING_ROUTERS = (health.router, auth.router, orders.router, positions.router)


def _app(title: str, routers: tuple, *, docs: bool) -> FastAPI:  # type: ignore[type-arg]
    app = FastAPI(
        title=title,
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    for router in routers:
        app.include_router(router)
    install_error_handlers(app)
    if get_settings().auth_mode == "verify":
        from nija.api.verify import VerifyTokenMiddleware  # the JWT libraries load only where they are used

        app.add_middleware(VerifyTokenMiddleware, users=wiring.store())
    return app


def create_trading_app() -> FastAPI:
    return _app("NIJA trading API", TRADING_ROUTERS, docs=get_settings().stage != "prod")


def create_local_app() -> FastAPI:
    """Every API app's routes on one port, as API Gateway puts them on one domain."""
    return _app("NIJA API (local stack)", TRADING_ROUTERS, docs=True)
