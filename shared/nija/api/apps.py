"""Building an API app. Each function's app is in its own module (nija.api.trading_app, …) importing
only its routers, so a function's cold start loads nothing of the others; the local stack serves
them all on one port."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI
from starlette.middleware.cors import CORSMiddleware

from nija import __version__, cors, wiring
from nija.api.errors import install_error_handlers
from nija.api.ip_limiter import IpLimiter, IpLimitMiddleware
from nija.api.ratelimit import RateLimitMiddleware
from nija.api.responses import ApiResponses
from nija.config import get_settings

MAX_BODY_BYTES = 64 * 1024  # no request of this API comes near it


def docs_enabled() -> bool:
    return get_settings().stage != "prod"


def build_app(
    title: str, routers: Sequence[APIRouter], *, docs: bool, ip_limiter: IpLimiter | None = None
) -> FastAPI:
    app = FastAPI(
        title=title,
        version=__version__,
        docs_url="/docs" if docs else None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    for router in _unique(routers):
        # Per route, not per app: FastAPI's app-wide limit answers outside every middleware, in plain
        # text; a route's answers inside ApiResponses, which gives it the error shape.
        app.include_router(router, max_body_size=MAX_BODY_BYTES)
    install_error_handlers(app)
    # Each user to their tier's requests a minute, in the cloud and locally alike: after the token
    # check names the user (API Gateway's authorizer, or the middleware below), before any route.
    app.add_middleware(RateLimitMiddleware, limiter=wiring.request_limiter)
    if get_settings().auth_mode == "verify":
        # The local stack does what API Gateway does in the cloud: verify the token (outermost). The
        # JWT libraries load only here.
        from nija.api.request_log import RequestLogKeys
        from nija.api.verify import VerifyTokenMiddleware

        app.add_middleware(RequestLogKeys)  # after the token check names the user
        app.add_middleware(VerifyTokenMiddleware, users=wiring.users())
    if ip_limiter is not None:
        # The local stack does what AWS WAF does in front of API Gateway: limit each address, before
        # the token check (inside CORS, so that a browser can read the 429's Retry-After).
        app.add_middleware(IpLimitMiddleware, limiter=ip_limiter)
    origins = get_settings().cors_origins
    if origins:  # around the token check: a preflight needs no token, and every refusal the headers
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(origins),
            allow_methods=list(cors.ALLOWED_METHODS),
            allow_headers=list(cors.ALLOWED_HEADERS),
            expose_headers=list(cors.EXPOSED_HEADERS),
            allow_credentials=cors.ALLOW_CREDENTIALS,
            max_age=cors.MAX_AGE_S,
        )
    app.add_middleware(ApiResponses)  # outermost: every refusal, the middlewares' own too, in its shape
    return app


def _unique(routers: Sequence[APIRouter]) -> list[APIRouter]:
    seen: list[APIRouter] = []
    for router in routers:
        if all(router is not r for r in seen):
            seen.append(router)
    return seen


def create_local_app(ip_limiter: IpLimiter | None = None) -> FastAPI:
    """Every API app's routes on one port, as API Gateway puts them on one domain; the local stack
    gives it the per-address limits that WAF holds in the cloud (tests that sign in from one
    address all along do not)."""
    from nija.api.admin_app import ADMIN_ROUTERS
    from nija.api.dashboard_app import DASHBOARD_ROUTERS
    from nija.api.trading_app import TRADING_ROUTERS

    return build_app(
        "NIJA API (local stack)",
        [*TRADING_ROUTERS, *DASHBOARD_ROUTERS, *ADMIN_ROUTERS],
        docs=True,
        ip_limiter=ip_limiter,
    )
