"""The app's web build (mobile/dist, `make run` builds it) served by the local stack at /app, on the
API's own origin: the app calls the API where it was loaded from, so no CORS is involved. Every path
under /app that is not a file is the app's index.html, whose router shows the screen it names."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from nija.local.lambda_runtime import REPO

WEB_PATH = "/app"  # the app's build is made for it (mobile/app.json experiments.baseUrl)
DEFAULT_BUILD = REPO / "mobile" / "dist"


class _SinglePageApp(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            if exc.status_code != 404:
                raise
            return await super().get_response("index.html", scope)


def mount_web_app(app: FastAPI, build: Path = DEFAULT_BUILD) -> bool:
    """Serve the web build at /app if there is one; False when it was never built."""
    if not (build / "index.html").is_file():
        return False
    app.mount(WEB_PATH, _SinglePageApp(directory=build, html=True), name="web-app")
    return True
