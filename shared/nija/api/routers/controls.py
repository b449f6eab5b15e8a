"""POST /v1/kill-switch: a user stops (or limits) their own trading at once."""

from __future__ import annotations

from fastapi import APIRouter

from nija import wiring
from nija.api.schemas import KillSwitchIn, KillSwitchOut
from nija.api.standing import Acting
from nija.domain.audit import AuditEvent, Outcome
from nija.domain.switches import SwitchScope

router = APIRouter(prefix="/v1", tags=["controls"])


@router.post("/kill-switch", response_model=KillSwitchOut)
def kill_switch(body: KillSwitchIn, caller: Acting) -> KillSwitchOut:
    """Engage: `halted` refuses every new order (queued ones included), `reducing` lets only orders
    that reduce a position through. Releasing it also re-enables trading the platform stopped after
    repeated broker errors (the user has seen the reason on GET /v1/me)."""
    switch = wiring.controls().set_switch(
        caller.user_id, SwitchScope.USER, caller.user_id, body.engaged, body.mode
    )
    if not body.engaged:
        user = wiring.store().get_user(caller.user_id)
        if user is not None and (user.trading_disabled_reason or user.consecutive_broker_errors):
            resumed = AuditEvent(
                action="controls.trading_resumed",
                outcome=Outcome.SUCCESS,
                subject=caller.user_id,
                actor=caller.user_id,
                details={"was": str(user.trading_disabled_reason or "")},
            )
            wiring.store().update_user(
                caller.user_id, audit=resumed, trading_disabled_reason=None, consecutive_broker_errors=0
            )
    return KillSwitchOut.of(SwitchScope.USER, caller.user_id, switch)
