"""The HTTP API's route table: every API Gateway route, the function behind it, and whether it is
public. The one list of public routes: the CDK app builds the REST API from it, the local stack's
token middleware and the OpenAPI document decide from it which calls need a bearer token.

Paths are API Gateway resource paths: `{name}` is one segment, `{proxy+}` the rest of the path. As
API Gateway does, a literal path wins over a parameter, and a parameter over a greedy one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Route:
    path: str
    methods: tuple[str, ...]
    function: str  # catalogue key: dashboard_api, trading_api or admin_api
    public: bool = False

    def allows(self, method: str) -> bool:
        return "ANY" in self.methods or method.upper() in self.methods


ROUTES: tuple[Route, ...] = (
    Route("/health", ("GET",), "trading_api", public=True),
    # Cognito behind them; wrong passwords lock the account, and each client address has its own
    # limit on them (nija.ip_limits: AWS WAF in the cloud, the local stack's gateway locally).
    *(
        Route(f"/v1/auth/{name}", ("POST",), "dashboard_api", public=True)
        for name in ("signup", "confirm", "login", "refresh", "mfa/verify")
    ),
    # Recovery: each email address is also held to a few codes and wrong codes (nija.logic.recovery). Logout
    # is public: the refresh token it ends (in the body or the cookie) is its credential.
    *(
        Route(f"/v1/auth/{name}", ("POST",), "dashboard_api", public=True)
        for name in ("password/forgot", "password/reset", "confirm/resend", "logout")
    ),
    Route("/v1/auth/password/change", ("POST",), "dashboard_api"),
    Route("/v1/auth/mfa", ("DELETE",), "dashboard_api"),
    Route("/v1/auth/mfa/setup", ("POST",), "dashboard_api"),
    Route("/v1/auth/mfa/enable", ("POST",), "dashboard_api"),
    Route("/v1/me", ("GET", "DELETE"), "dashboard_api"),
    Route("/v1/me/export", ("GET",), "dashboard_api"),
    Route("/v1/dashboard", ("GET",), "dashboard_api"),
    Route("/v1/settings", ("GET", "PUT"), "dashboard_api"),
    Route("/v1/devices", ("POST",), "dashboard_api"),
    Route("/v1/devices/{token}", ("DELETE",), "dashboard_api"),
    Route("/v1/analytics/{proxy+}", ("ANY",), "dashboard_api"),
    Route("/v1/orders", ("GET", "POST"), "trading_api"),
    Route("/v1/orders/{id}", ("GET", "DELETE"), "trading_api"),
    Route("/v1/positions", ("GET",), "trading_api"),
    Route("/v1/trades", ("GET",), "trading_api"),
    Route("/v1/kill-switch", ("POST",), "trading_api"),
    Route("/v1/backtests", ("POST",), "trading_api"),
    Route("/v1/brokers", ("GET",), "trading_api"),
    Route("/v1/brokers/{broker}/credentials", ("PUT", "DELETE"), "trading_api"),
    # The admin app checks the admins group itself and answers 403 to everyone else.
    Route("/admin/{proxy+}", ("ANY",), "admin_api"),
    # The console page and its script: no data in them; the page signs the admin in and calls the admin
    # routes with the token. The script is a file of its own so that the page's CSP allows no inline one.
    Route("/admin/console", ("GET",), "admin_api", public=True),
    Route("/admin/console.js", ("GET",), "admin_api", public=True),
)

# The local stack's own pages, read only (API Gateway routes none of them; docs are off in prod): the
# API's docs, and the app's web build under /app (nija.local.web_app), which holds no data of anyone.
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/openapi.json"})
LOCAL_PAGES = "/app"
READ_METHODS = frozenset({"GET", "HEAD"})


def _pattern(path: str) -> re.Pattern[str]:
    parts = [
        ".+" if seg.endswith("+}") else "[^/]+" if seg.startswith("{") else re.escape(seg)
        for seg in path.strip("/").split("/")
    ]
    return re.compile("^/" + "/".join(parts) + "$")


def _specificity(route: Route) -> tuple[int, int]:
    segments = route.path.strip("/").split("/")
    greedy = sum(seg.endswith("+}") for seg in segments)
    literal = sum(not seg.startswith("{") for seg in segments)
    return (-greedy, literal)


@cache
def _compiled() -> tuple[tuple[re.Pattern[str], Route], ...]:
    ordered = sorted(ROUTES, key=_specificity, reverse=True)
    return tuple((_pattern(r.path), r) for r in ordered)


def route_for(method: str, path: str) -> Route | None:
    """The route API Gateway would send this call to, if any."""
    path = path.rstrip("/") or "/"
    for pattern, route in _compiled():
        if pattern.match(path) and route.allows(method):
            return route
    return None


SIGN_IN_PREFIX = "/v1/auth/"


def sign_in_paths() -> frozenset[str]:
    """The sign-in routes: the public ones under /v1/auth/ (nija.ip_limits limits each address on them)."""
    return frozenset(r.path for r in ROUTES if r.public and r.path.startswith(SIGN_IN_PREFIX))


def is_public(method: str, path: str) -> bool:
    """Whether the call needs no bearer token: a public route, or (locally) reading the API's docs or
    the app's pages."""
    local_page = path in DOCS_PATHS or path == LOCAL_PAGES or path.startswith(LOCAL_PAGES + "/")
    if local_page and method.upper() in READ_METHODS:
        return True
    route = route_for(method, path)
    return route is not None and route.public
