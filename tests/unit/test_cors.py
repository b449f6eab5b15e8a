"""The web origins a stage or the local stack may allow (nija.cors), as settings read them."""

from __future__ import annotations

import pytest

from nija.config import Settings
from nija.cors import InvalidOrigin, parse_origins


def test_origins_are_normalised_and_deduplicated() -> None:
    assert parse_origins(" https://App.Example.com/ ,http://localhost:8081,https://app.example.com") == (
        "https://app.example.com",
        "http://localhost:8081",
    )
    assert parse_origins(None) == parse_origins("") == ()


@pytest.mark.parametrize(
    "origin",
    [
        "*",
        "null",
        "https://*.example.com",
        "http://app.example.com",
        "https://app.example.com/path",
        "app.example.com",
    ],
)
def test_a_wildcard_a_path_or_plain_http_elsewhere_is_refused(origin: str) -> None:
    with pytest.raises(InvalidOrigin, match="not a web origin"):
        parse_origins(origin)


def test_settings_read_a_list_or_a_comma_separated_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIJA_CORS_ORIGINS", '["https://a.example.com"]')
    assert Settings().cors_origins == ("https://a.example.com",)
    monkeypatch.setenv("NIJA_CORS_ORIGINS", "http://127.0.0.1:8081,https://b.example.com")
    assert Settings().cors_origins == ("http://127.0.0.1:8081", "https://b.example.com")
    monkeypatch.setenv("NIJA_CORS_ORIGINS", "*")
    with pytest.raises(ValueError, match="no wildcard"):
        Settings()
