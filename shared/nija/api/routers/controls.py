"""POST /v1/kill-switch: a user stops (or limits) their own trading at once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from nija import wiring
from nija.api.schemas import KillSwitchIn, KillSwitchOut
from nija.api.standing import Acting
from nija.domain.switches import SwitchScope
from nija.logic.controls import OwnSwitch

router = APIRouter(prefix="/v1", tags=["controls"])


@router.post("/kill-switch", response_model=KillSwitchOut)
def kill_switch(
    body: KillSwitchIn, caller: Acting, switch: Annotated[OwnSwitch, Depends(wiring.own_switch)]
) -> KillSwitchOut:
    """Engage: `halted` refuses every new order (queued ones included), `reducing` lets only orders
    that reduce a position through. Releasing it also re-enables trading the platform stopped after
    repeated broker errors (the user has seen the reason on GET /v1/me)."""
    engaged = switch.set(caller.user_id, body.engaged, body.mode)
    return KillSwitchOut.of(SwitchScope.USER, caller.user_id, engaged)
