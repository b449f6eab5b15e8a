"""From verified token claims to the calling principal: the same code in the authorizer and locally."""

from __future__ import annotations

from typing import Any

from nija.domain.errors import Forbidden, Unauthenticated
from nija.domain.models import Principal, Role, User, UserStatus
from nija.ports.stores import UserStore

ADMINS_GROUP = "admins"


def active_user(claims: dict[str, Any], users: UserStore) -> User:
    """The profile of the token's user, if it exists and is active."""
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated("the token names no user")
    user = users.get_user(user_id)
    if user is None:
        raise Forbidden("this account has no NIJA profile")
    if user.status is not UserStatus.ACTIVE:
        raise Forbidden("this account is disabled")
    return user


def principal_of(user: User, claims: dict[str, Any]) -> Principal:
    groups = claims.get("cognito:groups") or []
    role = Role.ADMIN if ADMINS_GROUP in groups or user.role is Role.ADMIN else Role.USER
    return Principal(user_id=user.user_id, tier=user.tier, role=role)


def principal_from_claims(claims: dict[str, Any], users: UserStore) -> Principal:
    return principal_of(active_user(claims, users), claims)
