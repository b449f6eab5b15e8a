"""Admin console routes: the admins group only (403 for everyone else)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from nija import wiring
from nija.api.auth import current_principal
from nija.api.routers.auth import client_ip
from nija.api.schemas import (
    AdminKillSwitchIn,
    BreakerOut,
    HealthOut,
    KillSwitchOut,
    MeOut,
    QueueDepth,
    TierIn,
)
from nija.config import get_settings
from nija.domain.models import Principal
from nija.domain.switches import SwitchScope
from nija.logic.accounts import Accounts
from nija.logic.admin_access import admit
from nija.logic.controls import Controls


def admin(caller: Annotated[Principal, Depends(current_principal)], request: Request) -> Principal:
    """An admin with TOTP on (403 mfa_required, saying how to turn it on), from the stage's allowed
    networks when it names any (403 ip_not_allowed)."""
    return admit(caller, client_ip(request), get_settings().admin_allowed_ips)


Admin = Annotated[Principal, Depends(admin)]
router = APIRouter(prefix="/admin", tags=["admin"])
AccountsDep = Annotated[Accounts, Depends(wiring.accounts)]
ControlsDep = Annotated[Controls, Depends(wiring.controls)]


@router.put("/users/{user_id}/tier", response_model=MeOut)
def change_tier(user_id: str, body: TierIn, caller: Admin, accounts: AccountsDep) -> MeOut:
    """Move a user to another tier: their rate limit follows from their next request."""
    return MeOut.of(accounts.change_tier(caller.user_id, user_id, body.tier))


@router.post("/kill-switch", response_model=KillSwitchOut)
def platform_kill_switch(body: AdminKillSwitchIn, caller: Admin, controls: ControlsDep) -> KillSwitchOut:
    """Engage or release the global switch or one broker's: it stops submissions at once, for orders
    already queued too."""
    scope = SwitchScope.GLOBAL if body.scope == "global" else SwitchScope.BROKER
    target = "global" if body.broker is None else body.broker.value
    switch = controls.set_switch(caller.user_id, scope, target, body.engaged, body.mode)
    return KillSwitchOut.of(scope, target, switch)


@router.get("/health", response_model=HealthOut)
def health(caller: Admin, controls: ControlsDep) -> HealthOut:
    """Queue and dead-letter depths per broker, circuit breakers and engaged platform switches."""
    from nija.adapters.sqs_queue import queue_depths

    depths = queue_depths(get_settings().catalogue)
    return HealthOut(
        queues=[QueueDepth(**d) for d in depths if not d["queue"].endswith("-dlq.fifo")],
        dead_letter_queues=[QueueDepth(**d) for d in depths if d["queue"].endswith("-dlq.fifo")],
        breakers=[
            BreakerOut(**b.model_dump(include={"broker", "state", "failures", "opened_at"}))
            for b in controls.store.breakers()
        ],
        kill_switches=[KillSwitchOut.of(s.scope, s.target, s) for s in controls.store.platform_switches()],
    )
