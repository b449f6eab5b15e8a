"""What a write for a user requires of their account, checked in the write's own transaction.

Every item the platform creates in a user's partition is written on condition that the user's
profile stands as the write needs, so no cache upstream (API Gateway's authorizer verdicts, a
scan's or an executor's earlier read) can let a disabled or erased account act, and no write can
leave an item behind an erasure (which marks the profile first, purges, then removes it):

- ACTIVE: the user acting (the API's writes, the scan's intents, opening a WebSocket): the profile
  exists, is active and is not being erased.
- KEPT: the platform recording what happened to the user's money (a claim before the broker call,
  fills, refusals, valuations): the profile exists and is not being erased. A disabled account's
  queued orders are refused and its fills at the broker recorded; an erased one's are not.

Deletes need no guard: they cannot leave anything behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from nija.domain.models import User, UserStatus

ACCOUNT_DELETION = "account_deletion"  # the erasure's mark (nija.logic.data_rights): not a pause


class Standing(StrEnum):
    ACTIVE = "active"
    KEPT = "kept"


@dataclass(frozen=True)
class AccountGuard:
    user_id: str
    standing: Standing


def active(user_id: str) -> AccountGuard:
    return AccountGuard(user_id, Standing.ACTIVE)


def kept(user_id: str) -> AccountGuard:
    return AccountGuard(user_id, Standing.KEPT)


def being_erased(user: User | None) -> bool:
    return user is None or user.trading_disabled_reason == ACCOUNT_DELETION


def stands(user: User | None, standing: Standing) -> bool:
    """The same rule as the write's condition, for code that reads the profile first."""
    if user is None or being_erased(user):
        return False
    return standing is Standing.KEPT or user.status is UserStatus.ACTIVE
