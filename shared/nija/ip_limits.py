"""The per-address limits: which requests each one counts and how many it admits. One policy, read by
the CDK app (AWS WAF's rate-based rules in front of the REST API: infra_cdk/constructs/waf.py) and by
the local stack's gateway (nija.api.ip_limiter), with the same routes and the same numbers.

- sign-in: the sign-in routes, the public ones under /v1/auth/ in the route table (nija.api.routes),
  whatever is added there; any method (WAF's scope-down matches the path).
- all: every request.

The numbers are the stage's, in the catalogue (`sign_in_ip_limit`, `ip_limit`); the local stack
takes others from NIJA_SIGN_IN_IP_LIMIT and NIJA_IP_LIMIT ("REQUESTS/SECONDS", its
--sign-in-ip-limit and --ip-limit), for a test that floods, say, 10 sign-ins in 60 s.
"""

from __future__ import annotations

from nija.api.routes import sign_in_paths
from nija.catalogue import Catalogue
from nija.domain.ip_limits import IpLimit, IpRule

SIGN_IN, ALL = "sign-in", "all"


def rules(
    cat: Catalogue, *, sign_in: IpLimit | None = None, everything: IpLimit | None = None
) -> tuple[IpRule, ...]:
    """The rules in the order they are evaluated (WAF's priorities): the first to refuse a request
    answers it, and the rules after it do not count it."""
    return (
        IpRule(SIGN_IN, sign_in or cat.sign_in_ip_limit, sign_in_paths(), what="sign-in requests"),
        IpRule(ALL, everything or cat.ip_limit),
    )
