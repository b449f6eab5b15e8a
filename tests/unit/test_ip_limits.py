"""Per-address limits (nija.domain.ip_limits, nija.ip_limits, nija.api.ip_limiter): the windows, each
address on its own, the Retry-After a refusal names, and which requests each rule counts."""

from __future__ import annotations

import pytest

from nija import ip_limits
from nija.api.ip_limiter import SWEEP_EVERY, IpLimiter
from nija.api.routes import ROUTES, is_public
from nija.catalogue import catalogue
from nija.domain.ip_limits import MIN_LIMIT, WINDOWS_S, IpLimit, IpRule, SourceWindow

T0 = 1_000.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def hits(window: SourceWindow, limit: IpLimit, times: list[float]) -> list[bool]:
    return [window.hit(limit, t).allowed for t in times]


@pytest.mark.parametrize("window_s", WINDOWS_S)
def test_admits_the_limit_in_a_window_then_refuses(window_s: int) -> None:
    limit, window = IpLimit(10, window_s), SourceWindow()
    assert hits(window, limit, [T0 + i * 0.001 for i in range(10)]) == [True] * 10
    refused = window.hit(limit, T0 + 1)
    assert not refused.allowed
    # Counted, the refusal makes the second request (T0 + 0.001) the oldest of the newest ten: it
    # leaves the window at T0 + 0.001 + window_s, window_s - 0.999 s from now, rounded up.
    assert refused.retry_after == window_s


def test_the_window_slides_rather_than_resets() -> None:
    limit, window = IpLimit(10, 60), SourceWindow()
    assert hits(window, limit, [T0 + 5 * i for i in range(10)]) == [True] * 10  # T0, T0+5 ... T0+45
    assert not window.hit(limit, T0 + 59.9).allowed  # T0's is still in the window
    # Counted, that refusal leaves T0+5 ... T0+45 and T0+59.9 as the newest ten: a slot frees as each
    # of them leaves, not all at once when a fixed minute ends.
    assert window.hit(limit, T0 + 65.0).allowed
    assert not window.hit(limit, T0 + 65.1).allowed  # T0+10 is still in the window
    assert window.hit(limit, T0 + 75.0).allowed  # that refusal counted: T0+15 was the oldest of ten


def test_retry_after_is_when_the_address_is_admitted_again_if_it_stops() -> None:
    limit, window = IpLimit(10, 60), SourceWindow()
    hits(window, limit, [T0 + i for i in range(10)])  # T0 ... T0 + 9
    refused = window.hit(limit, T0 + 20.5)
    # Counted: the newest ten are T0+1 ... T0+9 and T0+20.5; T0+1 leaves at T0+61: 40.5 s, rounded up.
    assert refused.retry_after == 41
    assert not window.hit(limit, T0 + 20.5 + 40.4).allowed
    # That refusal counted too (T0+2 is the oldest of ten now): admitted once T0+2 has left.
    assert window.hit(limit, T0 + 62.0).allowed


def test_an_address_that_keeps_flooding_stays_refused() -> None:
    """As WAF counts every request that matches a rule, refused ones included."""
    limit, window = IpLimit(10, 60), SourceWindow()
    flood = [T0 + i * 0.5 for i in range(1_000)]  # two a second for 500 s: 120 a window
    allowed = hits(window, limit, flood)
    assert allowed[:10] == [True] * 10 and not any(allowed[10:])
    assert len(window.stamps) == 10  # a window never holds more than the limit's times


def test_retry_after_is_at_least_one_second() -> None:
    limit, window = IpLimit(10, 60), SourceWindow()
    hits(window, limit, [T0] * 10)
    assert window.hit(limit, T0 + 59.9999).retry_after == 1


@pytest.mark.parametrize(("spec", "expected"), [("100/300", IpLimit(100, 300)), ("10/60s", IpLimit(10, 60))])
def test_a_limit_is_written_requests_slash_seconds(spec: str, expected: IpLimit) -> None:
    assert IpLimit.parse(spec) == expected
    assert IpLimit.parse(str(expected)) == expected
    assert IpLimit.parse("250") == IpLimit(250, 300)  # WAF's default window


@pytest.mark.parametrize("spec", ["9/60", "100/30", "100/90", "ten/60", "", "100/"])
def test_only_limits_waf_accepts(spec: str) -> None:
    with pytest.raises(ValueError, match="per-address limit"):
        IpLimit.parse(spec)


def test_every_stage_limits_sign_in_more_tightly_than_everything() -> None:
    for stage in ("local", "dev", "prod"):
        cat = catalogue(stage)
        assert cat.sign_in_ip_limit.limit >= MIN_LIMIT and cat.sign_in_ip_limit.window_s in WINDOWS_S
        assert cat.sign_in_ip_limit.limit < cat.ip_limit.limit
    # prod: the room for users behind one shared address, and two enterprise users at full rate.
    assert catalogue("prod").ip_limit.limit >= 2 * 1_000 * catalogue("prod").ip_limit.window_s // 60


def test_the_sign_in_routes_are_the_public_auth_routes_of_the_route_table() -> None:
    sign_in, everything = ip_limits.rules(catalogue("dev"))
    expected = {r.path for r in ROUTES if r.public and r.path.startswith("/v1/auth/")}
    assert sign_in.paths == expected and {"/v1/auth/login", "/v1/auth/signup"} <= expected
    assert all(is_public("POST", path) for path in expected)
    assert "/v1/auth/mfa/setup" not in expected  # a signed-in user's, not a sign-in
    assert (sign_in.limit, everything.limit) == (catalogue("dev").sign_in_ip_limit, catalogue("dev").ip_limit)
    assert everything.paths is None


def test_configured_numbers_replace_the_stages() -> None:
    sign_in, everything = ip_limits.rules(
        catalogue("local"), sign_in=IpLimit(10, 60), everything=IpLimit(50, 60)
    )
    assert (sign_in.limit, everything.limit) == (IpLimit(10, 60), IpLimit(50, 60))


def limiter(clock: Clock, sign_in: int = 10, everything: int = 30) -> IpLimiter:
    rules = ip_limits.rules(
        catalogue("local"), sign_in=IpLimit(sign_in, 60), everything=IpLimit(everything, 60)
    )
    return IpLimiter(rules, clock=clock)


def test_each_address_is_limited_on_its_own() -> None:
    limits = limiter(Clock())
    for _ in range(10):
        assert limits.check("127.0.0.2", "/v1/auth/login") is None
    refused = limits.check("127.0.0.2", "/v1/auth/login")
    assert refused is not None and refused[0].name == ip_limits.SIGN_IN
    assert refused[1].retry_after == 60
    assert limits.check("127.0.0.3", "/v1/auth/login") is None  # another address signs in
    assert limits.check("127.0.0.2", "/v1/orders") is None  # and the flooder may still use the rest


def test_every_sign_in_route_shares_one_count_per_address() -> None:
    limits = limiter(Clock())
    paths = sorted(ip_limits.rules(catalogue("local"))[0].paths or ())
    for i in range(10):
        assert limits.check("10.0.0.1", paths[i % len(paths)]) is None
    assert limits.check("10.0.0.1", "/v1/auth/signup/") is not None  # a trailing slash is the same route


def test_the_broad_rule_counts_every_request() -> None:
    limits = limiter(Clock(), sign_in=10, everything=30)
    for i in range(30):  # ten of them sign-ins
        assert limits.check("10.0.0.1", "/v1/auth/refresh" if i % 3 == 0 else "/v1/orders") is None
    refused = limits.check("10.0.0.1", "/health")
    assert refused is not None and refused[0].name == ip_limits.ALL
    assert refused[0].message == "more than 30 requests from this address in 60 s"


def test_a_request_the_sign_in_rule_refuses_is_not_counted_by_the_broad_one() -> None:
    """WAF's order: the first rule that blocks a request ends its evaluation."""
    limits = limiter(Clock(), sign_in=10, everything=30)
    for _ in range(40):
        limits.check("10.0.0.1", "/v1/auth/login")  # 10 admitted, 30 refused by the sign-in rule
    for _ in range(20):
        assert limits.check("10.0.0.1", "/v1/me") is None  # 10 + 20 = 30 counted by the broad rule
    assert limits.check("10.0.0.1", "/v1/me") is not None


def test_an_address_is_admitted_again_once_its_window_has_passed() -> None:
    clock = Clock()
    limits = limiter(clock)
    for _ in range(11):
        limits.check("10.0.0.1", "/v1/auth/login")
    clock.now += 59
    assert limits.check("10.0.0.1", "/v1/auth/login") is not None
    clock.now += 61
    assert limits.check("10.0.0.1", "/v1/auth/login") is None


def test_addresses_gone_quiet_are_forgotten() -> None:
    clock = Clock()
    limits = limiter(clock, everything=SWEEP_EVERY * 2)
    for n in range(100):
        limits.check(f"10.0.{n // 256}.{n % 256}", "/v1/auth/login")
    assert limits.addresses == 100
    clock.now += 61
    for _ in range(SWEEP_EVERY):
        limits.check("10.9.9.9", "/health")
    assert limits.addresses == 1


def test_a_rule_without_paths_applies_everywhere() -> None:
    rule = IpRule("all", IpLimit(10, 60))
    assert rule.applies("/") and rule.applies("/v1/anything")
