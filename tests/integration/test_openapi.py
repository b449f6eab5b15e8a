"""The committed OpenAPI document is the code's: same routes, same shapes, valid OpenAPI."""

from __future__ import annotations

import difflib
import json
from typing import Any

import pytest

from nija.api import openapi

STALE = "shared/nija/api/openapi.json disagrees with the code: run `make openapi` and commit the result"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi.build_document()


def operations(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def test_committed_document_matches_the_code(document: dict[str, Any]) -> None:
    assert openapi.DOCUMENT_PATH.exists(), STALE
    committed = openapi.DOCUMENT_PATH.read_text(encoding="utf-8")
    generated = openapi.render(document)
    if committed != generated:
        diff = difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), "committed", "code", lineterm="", n=1
        )
        pytest.fail(f"{STALE}\n" + "\n".join(list(diff)[:60]), pytrace=False)


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    again = openapi.build_document()
    assert openapi.render(again) == openapi.render(document)
    assert json.loads(openapi.render(document)) == document


def test_document_is_valid_openapi(document: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    validate(document)


def test_every_app_serves_a_subset_of_the_document(document: dict[str, Any]) -> None:
    combined = operations(document)
    raw = openapi.raw_documents()
    assert "create_local_app" in raw
    assert operations(raw["create_local_app"]) == combined
    for name, app_document in raw.items():
        missing = operations(app_document) - combined
        assert not missing, f"{name} serves routes the local app does not: {sorted(missing)}"


def test_every_error_response_has_the_error_shape(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in json.dumps(document)
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")):
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_user_routes_need_a_token_and_may_be_rate_limited(document: dict[str, Any]) -> None:
    orders = document["paths"]["/v1/orders"]["post"]
    assert orders["security"] == [{"bearer": []}]
    assert {"401", "422", "429"} <= set(orders["responses"])
    assert orders["responses"]["429"]["headers"]["Retry-After"]["required"] is True
    assert "security" not in document["paths"]["/health"]["get"]
