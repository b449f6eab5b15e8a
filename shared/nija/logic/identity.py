"""From verified token claims to the calling principal: the same code in the authorizer and locally."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nija.domain.errors import Forbidden, Unauthenticated
from nija.domain.models import Principal, Role, User, UserStatus
from nija.ports.stores import UserStore

ADMINS_GROUP = "admins"
# An admin signs in again after this long, refresh tokens or not (a user's session lasts as long as
# the refresh token, nija.catalogue.Catalogue.refresh_token_days): the token's auth_time is when the
# session began, and refreshing keeps it.
ADMIN_SESSION_S = 8 * 3600


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


def principal_of(
    user: User,
    claims: dict[str, Any],
    totp_enabled: Callable[[], bool] = lambda: False,
    now: Callable[[], float] = time.time,
) -> Principal:
    """The caller; for an admin, whether their account has TOTP on (`totp_enabled`, asked of the
    directory for admins only), and Unauthenticated (session_expired) once their session is older
    than ADMIN_SESSION_S."""
    groups = claims.get("cognito:groups") or []
    role = Role.ADMIN if ADMINS_GROUP in groups or user.role is Role.ADMIN else Role.USER
    if role is not Role.ADMIN:
        return Principal(user_id=user.user_id, tier=user.tier, role=role)
    began = claims.get("auth_time")
    if not isinstance(began, int | float) or now() - began > ADMIN_SESSION_S:
        raise Unauthenticated(
            f"admin sessions last {ADMIN_SESSION_S // 3600} hours: sign in again", code="session_expired"
        )
    return Principal(user_id=user.user_id, tier=user.tier, role=role, mfa=totp_enabled())


def principal_from_claims(
    claims: dict[str, Any], users: UserStore, totp_enabled: Callable[[], bool] = lambda: False
) -> Principal:
    return principal_of(active_user(claims, users), claims, totp_enabled)
