"""Profiles for test users: every write for a user needs an active one (nija.domain.standing), as
sign-up leaves it. `@pytest.mark.members(id, …)` (tests/conftest.py) or member(id, …) in a test."""

from __future__ import annotations


def member(*user_ids: str) -> None:
    from nija import wiring
    from nija.domain.models import User

    for user_id in user_ids:
        wiring.users().put_user(User(user_id=user_id, email=f"{user_id}@example.test"))
