"""Admin console routes: the admins group only (403 for everyone else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import MeOut, TierIn
from nija.domain.errors import Forbidden
from nija.domain.models import Principal, Role


def admin(caller: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if caller.role is not Role.ADMIN:
        raise Forbidden("this needs the admins group")
    return caller


Admin = Annotated[Principal, Depends(admin)]
router = APIRouter(prefix="/admin", tags=["admin"])


@router.put("/users/{user_id}/tier", response_model=MeOut)
def change_tier(user_id: str, body: TierIn, caller: Admin) -> MeOut:
    """Move a user to another tier: their API key changes usage plan, their rate limit follows."""
    return MeOut.of(wiring.accounts().change_tier(caller.user_id, user_id, body.tier))
