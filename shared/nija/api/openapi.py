"""The OpenAPI document of the whole HTTP API, committed beside this module as openapi.json.

Built from nija.api.apps.create_local_app(), which serves every API app's routes, then completed with
what FastAPI cannot see: the error shape {"error": {"code", "message"}} for every error status the
routes can answer (by the rules in nija.api.errors and nija.api.auth), and the bearer token.

    python -m nija.api.openapi            print the document
    python -m nija.api.openapi --write    rewrite the committed file (`make openapi`)
    python -m nija.api.openapi --check    exit 1 when the committed file is stale

tests/integration/test_openapi.py fails when the code and the committed file disagree.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from nija.api.routes import is_public
from nija.config import reset_settings

DOCUMENT_PATH = Path(__file__).with_name("openapi.json")
TITLE = "NIJA API"
WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "description": "machine-readable, e.g. invalid_input"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "the input to blame, when there is one"},
            },
        }
    },
}
ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON (code malformed_json).",
    401: "No valid bearer token, or wrong credentials.",
    403: "Not allowed: wrong role, or the account cannot do this.",
    404: "No such object for this caller (another user's object is never revealed).",
    409: "Conflicts with the current state (e.g. an Idempotency-Key reused for another order).",
    413: "The body is too large.",
    422: "Bad input; `field` names the culprit.",
    429: "Too many requests: the tier's limit a minute (basic 60, pro 300, enterprise 1000).",
    503: "A dependency did not answer; safe to retry later.",
}
RATE_LIMIT_HEADERS: dict[str, Any] = {
    "Retry-After": {
        "description": "whole seconds until a request would be admitted",
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
    }
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A Cognito access token from POST /v1/auth/login.",
}


@contextmanager
def _gateway_mode() -> Iterator[None]:
    """Build apps without the token middleware (it needs a user store): only routes matter here."""
    saved = os.environ.get("NIJA_AUTH_MODE")
    os.environ["NIJA_AUTH_MODE"] = "gateway"
    reset_settings()
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("NIJA_AUTH_MODE", None)
        else:
            os.environ["NIJA_AUTH_MODE"] = saved
        reset_settings()


def app_factories() -> dict[str, Callable[[], FastAPI]]:
    """Every function's app factory and the local app's, by name."""
    from nija.api.admin_app import create_admin_app
    from nija.api.apps import create_local_app
    from nija.api.dashboard_app import create_dashboard_app
    from nija.api.trading_app import create_trading_app

    factories = (create_admin_app, create_dashboard_app, create_local_app, create_trading_app)
    return {f.__name__: f for f in factories}


def raw_documents() -> dict[str, dict[str, Any]]:
    """FastAPI's own document of every app factory, as generated (the local app's among them)."""
    with _gateway_mode():
        return {name: factory().openapi() for name, factory in app_factories().items()}


def build_document() -> dict[str, Any]:
    """The combined document: the local app's routes (every route), with errors and auth described."""
    with _gateway_mode():
        from nija.api.apps import create_local_app

        document = copy.deepcopy(create_local_app().openapi())
    document["info"]["title"] = TITLE
    components = document.setdefault("components", {})
    components.setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            _describe_errors(path, method, operation)
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'"#/components/schemas/{unused}"' not in json.dumps(document["paths"]):
            components["schemas"].pop(unused, None)
    return document


def error_statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    """The error statuses an operation can answer, from the API's rules."""
    public = is_public(method, path)
    statuses: set[int] = set()
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if operation.get("parameters"):
        statuses.add(422)
    if path.startswith("/v1/auth/"):
        statuses |= {401, 403, 409, 429, 503}  # Cognito's refusals, mapped in nija.adapters.cognito
    elif not public:
        statuses |= {401, 429}
        if path.startswith("/admin"):
            statuses.add(403)
        if "{" in path:
            statuses.add(404)
        if method in WRITE_METHODS:
            statuses |= {409, 503}
    return sorted(statuses)


def _describe_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if not is_public(method, path):
        operation.setdefault("security", [{"bearer": []}])
    for status in error_statuses(path, method, operation):
        existing = responses.get(str(status))
        if existing and "HTTPValidationError" not in json.dumps(existing):
            continue  # the route documents this status itself
        response: dict[str, Any] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        if status == 429:
            response["headers"] = RATE_LIMIT_HEADERS
        responses[str(status)] = response


def render(document: dict[str, Any]) -> str:
    """Deterministic text: sorted keys, two-space indentation, one trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nija.api.openapi", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help=f"write {DOCUMENT_PATH.name}")
    mode.add_argument("--check", action="store_true", help="exit 1 when the committed file is stale")
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.write:
        DOCUMENT_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT_PATH}", file=sys.stderr)
    elif args.check:
        if not DOCUMENT_PATH.exists() or DOCUMENT_PATH.read_text(encoding="utf-8") != text:
            print(f"{DOCUMENT_PATH} is stale: run `make openapi`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
