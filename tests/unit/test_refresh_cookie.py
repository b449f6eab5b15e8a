"""The refresh cookie's Set-Cookie values, the CSRF Origin check, and the floor on a code request's
answer time (pure: no AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nija.api.refresh_cookie import clearing_headers, cookie_headers, origin_allowed
from nija.domain.audit import AuditEvent
from nija.domain.errors import RateLimited
from nija.domain.lockout import MAX_FAILURES, LoginGuard
from nija.logic.recovery import Recovery, codes_guard, reset_guard

OWN = "https://api.example.com"
WEB = ("https://app.example.com",)


def parts(cookie: str) -> list[str]:
    return [p.strip() for p in cookie.split(";")]


def test_the_cookie_is_httponly_strict_secure_and_scoped_to_refresh_and_logout() -> None:
    cookies = cookie_headers("tok.en-1", prefix="", secure=True, max_age=2_592_000)
    assert [parts(c) for c in cookies] == [
        [
            "nija_refresh=tok.en-1",
            f"Path=/v1/auth/{route}",
            "Max-Age=2592000",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
        ]
        for route in ("refresh", "logout")
    ]


def test_the_stage_prefix_and_the_local_stack() -> None:
    staged = cookie_headers("t", prefix="/prod", secure=False, max_age=60)
    assert [parts(c)[1] for c in staged] == ["Path=/prod/v1/auth/refresh", "Path=/prod/v1/auth/logout"]
    assert all("Secure" not in parts(c) for c in staged)  # plain http on this machine only


def test_clearing_forgets_both_cookies() -> None:
    cleared = clearing_headers(prefix="", secure=True)
    assert len(cleared) == 2
    assert all(parts(c)[0] == "nija_refresh=" and "Max-Age=0" in parts(c) for c in cleared)
    assert {parts(c)[1] for c in cleared} == {"Path=/v1/auth/refresh", "Path=/v1/auth/logout"}


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://app.example.com", True),
        ("https://APP.example.com/", True),
        (OWN, True),  # the admin console, a same-origin web build
        ("https://evil.example.com", False),
        ("https://app.example.com.evil.com", False),
        ("http://app.example.com", False),  # another scheme is another origin
        ("null", False),  # a sandboxed frame or a file
        ("", False),
        (None, False),  # no Origin at all: not a page of ours
    ],
)
def test_the_origin_check(origin: str | None, allowed: bool) -> None:
    assert origin_allowed(origin, WEB, OWN) is allowed


# --- a code request's answer time ------------------------------------------------------------------


@dataclass
class Guards:
    items: dict[str, LoginGuard] = field(default_factory=dict)

    def get_guard(self, name: str) -> LoginGuard:
        return self.items.get(name, LoginGuard())

    def put_guard(self, name: str, guard: LoginGuard) -> bool:
        if guard.version != self.get_guard(name).version + 1:
            return False
        self.items[name] = guard
        return True


@dataclass
class Audit:
    events: list[AuditEvent] = field(default_factory=list)

    def record(self, event: AuditEvent) -> None:
        self.events.append(event)


@dataclass
class Directory:
    """The identity port's code senders: a known address takes `cost` seconds, an unknown none."""

    clock: list[float]
    known: set[str]
    cost: float = 0.15
    sent: list[str] = field(default_factory=list)

    def forgot_password(self, email: str) -> None:
        if email in self.known:
            self.clock[0] += self.cost
            self.sent.append(email)

    resend_confirmation = forgot_password


def recovery(directory: Directory, now: list[float], slept: list[float]) -> Recovery:
    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    return Recovery(
        idp=directory,  # type: ignore[arg-type]
        users=None,  # type: ignore[arg-type]
        guards=Guards(),
        audit=Audit(),
        clock=lambda: 1_000.0,
        monotonic=lambda: now[0],
        sleep=sleep,
        min_answer_s=0.4,
    )


def test_known_and_unknown_addresses_answer_after_the_same_floor() -> None:
    now, slept = [0.0], []  # type: ignore[var-annotated]
    directory = Directory(now, known={"known@example.com"})
    service = recovery(directory, now, slept)
    durations = []
    for address in ("known@example.com", "unknown@example.com"):
        started = now[0]
        service.forgot_password(address)
        durations.append(now[0] - started)
    assert durations == [pytest.approx(0.4), pytest.approx(0.4)]
    assert directory.sent == ["known@example.com"]


def test_codes_per_address_and_the_floor_on_a_refusal_too() -> None:
    now, slept = [0.0], []  # type: ignore[var-annotated]
    service = recovery(Directory(now, known=set()), now, slept)
    for _ in range(MAX_FAILURES):
        service.resend_confirmation("Some@Example.com ")
    started = now[0]
    with pytest.raises(RateLimited):
        service.forgot_password("some@example.com")
    assert now[0] - started == pytest.approx(0.4)
    assert codes_guard("x@y.z") != reset_guard("x@y.z") != "x@y.z"  # apart from the sign-in guard
