from __future__ import annotations

from fastapi import APIRouter

from nija import __version__
from nija.api.schemas import Health
from nija.config import get_settings

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok", stage=get_settings().stage, version=__version__)
