"""The refresh token as a cookie, for web clients: out of reach of the page's scripts.

A web client asks for it with `"refresh_cookie": true` on sign-in, MFA verify or refresh; the answer's
body then has no refresh_token, and the token comes as `nija_refresh`: HttpOnly, Secure (except on the
local stack, plain http on this machine), SameSite=Strict, set twice with the same value, once per
route that reads it (Path=/v1/auth/refresh and Path=/v1/auth/logout, below the stage's prefix when the
API is called on API Gateway's own URL): a browser sends it to those two routes and nowhere else.

A cookie is sent by the browser whoever made the page, so a call that uses it must come from a page of
ours: its Origin header is one of the configured web origins (nija.cors) or the API's own (the admin
console, the local stack's app), else 403 `origin_refused`. A body with refresh_token needs no check
(a native client; nothing a browser adds on its own).
"""

from __future__ import annotations

from fastapi import Request, Response

from nija.config import get_settings
from nija.domain.errors import Forbidden

COOKIE = "nija_refresh"
COOKIE_ROUTES = ("/v1/auth/refresh", "/v1/auth/logout")


def stage_prefix(request: Request) -> str:
    """What the browser's URL has before the route's path: `/prod` on API Gateway's own URL (the
    stage), nothing behind a custom domain or locally."""
    event = request.scope.get("aws.event") or {}
    seen = str((event.get("requestContext") or {}).get("path") or "")
    path = str(event.get("path") or "")
    if path and seen.endswith(path):
        return seen[: len(seen) - len(path)].rstrip("/")
    return ""


def cookie_headers(token: str, *, prefix: str, secure: bool, max_age: int) -> list[str]:
    """Set-Cookie values that store the refresh token for the refresh and logout routes."""
    flags = "; HttpOnly" + ("; Secure" if secure else "") + "; SameSite=Strict"
    return [f"{COOKIE}={token}; Path={prefix}{route}; Max-Age={max_age}{flags}" for route in COOKIE_ROUTES]


def clearing_headers(*, prefix: str, secure: bool) -> list[str]:
    """Set-Cookie values that make the browser forget both cookies."""
    flags = "; HttpOnly" + ("; Secure" if secure else "") + "; SameSite=Strict"
    return [f"{COOKIE}=; Path={prefix}{route}; Max-Age=0{flags}" for route in COOKIE_ROUTES]


def origin_allowed(origin: str | None, configured: tuple[str, ...], own: str) -> bool:
    """Whether a call carrying the cookie comes from one of our pages."""
    if not origin:
        return False
    origin = origin.strip().rstrip("/").lower()
    return origin == own.lower() or origin in configured


def _secure() -> bool:
    return get_settings().aws_endpoint_url is None  # the local stack and tests are plain http


def set_refresh_cookie(request: Request, response: Response, token: str) -> None:
    max_age = get_settings().catalogue.refresh_token_days * 86_400
    for value in cookie_headers(token, prefix=stage_prefix(request), secure=_secure(), max_age=max_age):
        response.headers.append("set-cookie", value)


def clear_refresh_cookie(request: Request, response: Response) -> None:
    for value in clearing_headers(prefix=stage_prefix(request), secure=_secure()):
        response.headers.append("set-cookie", value)


def token_from_cookie(request: Request) -> str | None:
    """The refresh cookie's token, after the Origin check; None when the call has no cookie."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    own = f"{request.url.scheme}://{request.url.netloc}"
    if not origin_allowed(request.headers.get("origin"), get_settings().cors_origins, own):
        raise Forbidden(
            "the refresh cookie is accepted only from this API's web origins (the Origin header)",
            code="origin_refused",
        )
    return token
