"""From verified token claims to the calling principal: the same code in the authorizer and locally."""

from __future__ import annotations

from typing import Any

from nija.domain.errors import Forbidden, Unauthenticated
from nija.domain.models import Principal, Role, UserStatus
from nija.ports.stores import UserStore

ADMINS_GROUP = "admins"


def principal_from_claims(claims: dict[str, Any], users: UserStore) -> Principal:
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated("the token names no user")
    user = users.get_user(user_id)
    if user is None:
        raise Forbidden("this account has no NIJA profile")
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden("this account is disabled")
    groups = claims.get("cognito:groups") or []
    role = Role.ADMIN if ADMINS_GROUP in groups or user.role is Role.ADMIN else Role.USER
    return Principal(user_id=user_id, tier=user.tier, role=role)
