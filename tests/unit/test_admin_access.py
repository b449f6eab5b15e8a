"""Who may use the admin API: an admin with TOTP on, from the stage's networks; and how long an
admin's session lasts, judged from the token's auth_time by the authorizer (and locally alike)."""

from __future__ import annotations

from ipaddress import ip_network

import pytest

from nija.catalogue import catalogue
from nija.domain.errors import Forbidden, Unauthenticated
from nija.domain.models import Principal, Role, User
from nija.logic.admin_access import admit
from nija.logic.identity import ADMIN_SESSION_S, principal_of

ADMIN = Principal(user_id="a1", role=Role.ADMIN, mfa=True)
NOW = 1_800_000_000.0


def test_an_admin_with_totp_is_admitted_from_anywhere_when_no_network_is_named() -> None:
    assert admit(ADMIN, "203.0.113.9") is ADMIN
    assert admit(ADMIN, None) is ADMIN


@pytest.mark.parametrize("mfa", [False, None])
def test_an_admin_without_totp_is_told_how_to_turn_it_on(mfa: bool | None) -> None:
    with pytest.raises(Forbidden) as refused:
        admit(ADMIN.model_copy(update={"mfa": mfa}), "203.0.113.9")
    assert refused.value.code == "mfa_required"
    assert "/v1/auth/mfa/setup" in refused.value.message and "/v1/auth/mfa/enable" in refused.value.message


def test_a_user_is_refused_before_anything_else() -> None:
    with pytest.raises(Forbidden) as refused:
        admit(Principal(user_id="u1", mfa=True), "203.0.113.9", (ip_network("10.0.0.0/8"),))
    assert refused.value.code == "forbidden"


@pytest.mark.parametrize(
    ("source", "admitted"),
    [("10.1.2.3", True), ("2001:db8::7", True), ("203.0.113.9", False), (None, False), ("not-an-ip", False)],
)
def test_the_stages_networks_only_when_it_names_some(source: str | None, admitted: bool) -> None:
    networks = (ip_network("10.0.0.0/8"), ip_network("2001:db8::/32"))
    if admitted:
        assert admit(ADMIN, source, networks) is ADMIN
        return
    with pytest.raises(Forbidden) as refused:
        admit(ADMIN.model_copy(update={"mfa": False}), source, networks)
    assert refused.value.code == "ip_not_allowed"  # said before anything about TOTP


def test_an_admin_session_is_shorter_than_a_users() -> None:
    assert catalogue("prod").refresh_token_days * 86_400 > ADMIN_SESSION_S
    user = User(user_id="a1", email="a@example.com", role=Role.ADMIN)
    fresh = {"sub": "a1", "auth_time": int(NOW - ADMIN_SESSION_S + 60)}
    asked: list[bool] = []
    principal = principal_of(user, fresh, lambda: asked.append(True) or True, now=lambda: NOW)
    assert (principal.role, principal.mfa, asked) == (Role.ADMIN, True, [True])
    for stale in ({"sub": "a1", "auth_time": int(NOW - ADMIN_SESSION_S - 1)}, {"sub": "a1"}):
        with pytest.raises(Unauthenticated) as refused:
            principal_of(user, stale, lambda: True, now=lambda: NOW)
        assert refused.value.code == "session_expired"


def test_a_users_session_and_totp_are_not_the_authorizers_concern() -> None:
    user = User(user_id="u1", email="u@example.com")
    principal = principal_of(user, {"sub": "u1"}, lambda: pytest.fail("asked for a user"), now=lambda: NOW)
    assert (principal.role, principal.mfa) == (Role.USER, None)
