"""The caller of a write route: a user whose account is active now, whatever the authorizer cached.

API Gateway keeps an authorizer verdict for its TTL, so a token used shortly before its account was
disabled or erased still arrives with a context. Every write checks the profile in its own
transaction (nija.domain.standing); this read makes every write route answer the same 403 at once,
also those that would store nothing (a save that changes nothing, a refusal) or leave an audit
record after the erasure's last one."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from nija import wiring
from nija.api.auth import current_principal
from nija.domain.errors import AccountInactive
from nija.domain.models import Principal
from nija.domain.standing import Standing, stands


def acting_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not stands(wiring.users().get_user(principal.user_id), Standing.ACTIVE):
        raise AccountInactive("this account is disabled or being deleted")
    return principal


Acting = Annotated[Principal, Depends(acting_principal)]
