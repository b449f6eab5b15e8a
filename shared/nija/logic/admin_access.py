"""Who may use the admin API: an admin, with TOTP on, from an allowed network when the stage names
any. The session's age is the authorizer's to judge (nija.logic.identity.ADMIN_SESSION_S)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from nija.domain.errors import Forbidden
from nija.domain.models import Principal, Role

Network = IPv4Network | IPv6Network
MFA_HOWTO = (
    "admin accounts need TOTP: POST /v1/auth/mfa/setup (signed in) gives the secret for an "
    "authenticator app, POST /v1/auth/mfa/enable with its code turns it on; then sign in again"
)


def parse_networks(value: str | Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks, comma-separated or a list (a host's bits are dropped: 10.1.2.3/8 is
    10.0.0.0/8); ValueError names one that is neither."""
    parts = value.split(",") if isinstance(value, str) else value
    return tuple(ip_network(p.strip(), strict=False) for p in parts if p.strip())


def admit(caller: Principal, source_ip: str | None, networks: Sequence[Network] = ()) -> Principal:
    if caller.role is not Role.ADMIN:
        raise Forbidden("this needs the admins group")
    if networks and not _inside(source_ip, networks):
        raise Forbidden("the admin API is not open to this address", code="ip_not_allowed")
    if not caller.mfa:
        raise Forbidden(MFA_HOWTO, code="mfa_required")
    return caller


def _inside(source_ip: str | None, networks: Sequence[Network]) -> bool:
    try:
        address = ip_address(source_ip or "")
    except ValueError:
        return False
    return any(address in network for network in networks)
