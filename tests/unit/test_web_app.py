"""The local stack serves the app's web build at /app: files as they are, any other path the app's
index.html (its router shows the screen the path names), nothing when it was never built."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from nija.local.web_app import mount_web_app


def test_files_as_they_are_and_every_screen_path_the_index(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<html>the app</html>")
    (tmp_path / "_expo").mkdir()
    (tmp_path / "_expo" / "entry.js").write_text("console.log('app')")
    app = FastAPI()
    assert mount_web_app(app, tmp_path)
    client = TestClient(app)
    assert client.get("/app/").text == "<html>the app</html>"
    assert client.get("/app/dashboard").text == "<html>the app</html>"
    assert client.get("/app/_expo/entry.js").text == "console.log('app')"
    assert client.get("/app/_expo/entry.js").headers["content-type"].startswith("text/javascript")


def test_nothing_is_mounted_without_a_build(tmp_path: Path) -> None:
    app = FastAPI()
    assert not mount_web_app(app, tmp_path)
    assert TestClient(app).get("/app/").status_code == 404
