from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import MeOut
from nija.domain.models import Principal

router = APIRouter(prefix="/v1", tags=["profile"])


@router.get("/me", response_model=MeOut)
def me(caller: Annotated[Principal, Depends(current_principal)]) -> MeOut:
    return MeOut.of(wiring.accounts().profile(caller.user_id))
