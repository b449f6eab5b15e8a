"""Which web origins may call the API from a browser, and with what: one policy, read by the API apps
(Starlette's CORSMiddleware: the actual responses, and every preflight on the local stack), the CDK app
(API Gateway's OPTIONS methods and its own error responses) and the local stack's configuration.

Origins are listed exactly, never ``*``: a stage names its web app's origin (``-c cors_origins=...``),
the local stack the Expo dev server's (the web build it serves itself is same-origin and needs none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# What the app sends beyond the simple headers, and what it must read from an answer (a 429's wait).
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Idempotency-Key")
EXPOSED_HEADERS = ("Retry-After",)
ALLOWED_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# Credentialed calls from the configured origins: a web client's refresh cookie (nija.api.refresh_cookie)
# reaches the refresh and logout routes, which check the Origin themselves. Never with `*`.
ALLOW_CREDENTIALS = True
MAX_AGE_S = 600  # browsers cache a preflight this long (Chromium caps it at 7,200)

# `npx expo start --web` serves the app from the Metro dev server on port 8081.
LOCAL_DEV_ORIGINS = ("http://localhost:8081", "http://127.0.0.1:8081")

_ORIGIN = re.compile(r"(https://[a-z0-9.-]+|http://(localhost|127\.0\.0\.1))(:\d{1,5})?")


class InvalidOrigin(ValueError):
    pass


def parse_origins(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Origins from a comma-separated string or a list, each checked: a scheme, a host and at most a
    port, https unless it is this machine, and no wildcard (a browser never sends one)."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    origins: list[str] = []
    for raw in items:
        origin = raw.strip().rstrip("/").lower()
        if not origin:
            continue
        if not _ORIGIN.fullmatch(origin):
            raise InvalidOrigin(
                f"{raw.strip()!r} is not a web origin this API may allow: give scheme://host[:port] "
                "exactly, https (http only for localhost), no path and no wildcard"
            )
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)
