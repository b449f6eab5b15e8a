"""The one route table (nija.api.routes): every route the apps serve is in it, with its function, and
the OpenAPI document asks for a bearer token exactly where the table does."""

from __future__ import annotations

import json

import pytest

from nija.api.openapi import DOCUMENT_PATH, raw_documents
from nija.api.routes import ROUTES, is_public, route_for

APPS = {
    "create_trading_app": "trading_api",
    "create_dashboard_app": "dashboard_api",
    "create_admin_app": "admin_api",
}


@pytest.mark.parametrize(
    ("method", "path", "public"),
    [
        ("GET", "/health", True),
        ("POST", "/v1/auth/login", True),
        ("POST", "/v1/auth/mfa/verify", True),
        ("POST", "/v1/auth/mfa/setup", False),
        ("POST", "/v1/auth/mfa/enable", False),
        ("POST", "/v1/auth/anything-else", False),
        ("GET", "/admin/console", True),
        ("POST", "/admin/console", False),
        ("GET", "/admin/console.js", True),
        ("GET", "/admin/users", False),
        ("GET", "/v1/orders/int_123", False),
        ("DELETE", "/v1/devices/ExponentPushToken[x]", False),
        ("GET", "/v1/analytics/equity", False),
        ("GET", "/docs", True),
        ("GET", "/openapi.json", True),
        ("POST", "/docs", False),
        ("GET", "/app", True),
        ("GET", "/app/dashboard", True),
        ("POST", "/app/dashboard", False),
        ("GET", "/apps", False),
        ("OPTIONS", "/v1/orders", False),
        ("GET", "/v1/unknown", False),
    ],
)
def test_public_is_decided_per_route_and_method(method: str, path: str, public: bool) -> None:
    assert is_public(method, path) is public


def test_a_literal_route_wins_over_a_greedy_one() -> None:
    console = route_for("GET", "/admin/console")
    assert console is not None and console.public and console.path == "/admin/console"
    users = route_for("GET", "/admin/users/u1/permissions")
    assert users is not None and users.path == "/admin/{proxy+}"


def test_every_route_an_app_serves_is_in_the_table_with_its_function() -> None:
    documents = raw_documents()
    served = {
        function: {(m, p) for p, ops in documents[factory]["paths"].items() for m in ops}
        for factory, function in APPS.items()
    }
    for calls in served.values():
        for method, path in calls:
            route = route_for(method, path)
            assert route is not None, (method, path)
            # API Gateway sends it to a function whose app serves it (/health: every app does).
            assert (method, path) in served[route.function], (method, path, route)
    assert {r.function for r in ROUTES} == set(APPS.values())


def test_the_openapi_document_asks_for_a_token_exactly_where_the_table_does() -> None:
    """The committed document (tests/integration/test_openapi.py holds it to the code's)."""
    document = json.loads(DOCUMENT_PATH.read_text(encoding="utf-8"))
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            route = route_for(method, path)
            assert route is not None, (method, path)
            expected = [] if route.public else [{"bearer": []}]
            assert operation.get("security", []) == expected, (method, path)
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert {("POST", "/v1/auth/mfa/setup"), ("POST", "/v1/auth/mfa/enable")} <= documented
