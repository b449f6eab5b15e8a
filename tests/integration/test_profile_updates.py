"""Profile writes change only their own fields: an admin's disable is not undone by an executor that
counts broker errors on a copy of the profile read before it (a lost update when the whole item was
written back), and a tier change does not undo an MFA enable made meanwhile."""

from __future__ import annotations

import dataclasses
from typing import Any

from nija import wiring
from nija.domain.models import Tier, User, UserStatus

ALICE = "a11ce000-0000-4000-8000-00000000bf01"


class ReadBefore:
    """The real store, except that get_user answers with the profile as it was when this was made:
    the executor's read, taken before the admin's write lands."""

    def __init__(self, real: Any, user_id: str) -> None:
        self._real, self._stale = real, real.get_user(user_id)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def get_user(self, user_id: str) -> User | None:
        return self._stale


def _alice() -> None:
    wiring.users().put_user(User(user_id=ALICE, email="alice@example.com"))


def test_broker_errors_counted_on_an_old_copy_keep_the_admins_disable(aws: None) -> None:
    _alice()
    guard = dataclasses.replace(wiring.guard(), users=ReadBefore(wiring.users(), ALICE))
    wiring.users().update_user(ALICE, status=UserStatus.DISABLED)  # the admin's write, meanwhile

    guard.broker_result(ALICE, ok=False)  # the executor's write, from its older read

    profile = wiring.users().get_user(ALICE)
    assert profile is not None
    assert (profile.status, profile.consecutive_broker_errors) == (UserStatus.DISABLED, 1)


def test_an_update_names_its_fields_only(aws: None) -> None:
    _alice()
    assert (
        wiring.users().update_user(ALICE, mfa_enabled=True, trading_disabled_reason="broker_errors")
        is not None
    )
    changed = wiring.users().update_user(ALICE, tier=Tier.PRO, trading_disabled_reason=None)
    assert changed is not None and changed == wiring.users().get_user(ALICE)
    assert (changed.tier, changed.mfa_enabled, changed.trading_disabled_reason) == (Tier.PRO, True, None)
    assert changed.email == "alice@example.com" and changed.status is UserStatus.ACTIVE
    assert wiring.users().update_user("nobody", tier=Tier.PRO) is None
    assert wiring.users().get_user("nobody") is None  # an update never creates a profile
