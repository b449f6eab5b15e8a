"""The password policy, the same as the Cognito pool's (infra_cdk and nija.local.identity)."""

from __future__ import annotations

from nija.domain.errors import InvalidInput

MIN_LENGTH = 12
# Cognito's special characters: ^ $ * . [ ] { } ( ) ? " ! @ # % & / \ , > < ' : ; | _ ~ ` = + - and space
SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")

RULES: tuple[tuple[str, str], ...] = (
    ("min_length", f"at least {MIN_LENGTH} characters"),
    ("uppercase", "an uppercase letter"),
    ("lowercase", "a lowercase letter"),
    ("digit", "a digit"),
    ("symbol", "a symbol such as ! @ # $ % ^ & *"),
)


def broken_rules(password: str) -> list[str]:
    checks = {
        "min_length": len(password) >= MIN_LENGTH,
        "uppercase": any(c.isupper() for c in password),
        "lowercase": any(c.islower() for c in password),
        "digit": any(c.isdigit() for c in password),
        "symbol": any(c in SYMBOLS for c in password),
    }
    return [name for name, _ in RULES if not checks[name]]


def check_password(password: str) -> None:
    """Raise InvalidInput naming every rule the password breaks (and never echoing the password)."""
    broken = broken_rules(password)
    if broken:
        wants = dict(RULES)
        needs = "; ".join(wants[name] for name in broken)
        raise InvalidInput(
            f"the password needs {needs} (rules: {', '.join(broken)})", field="password", code="weak_password"
        )


def temporary_password() -> str:
    """A random password within the policy, for an invitation (the person replaces it at once)."""
    import secrets
    import string

    pick = secrets.choice
    chars = [
        pick(string.ascii_uppercase),
        pick(string.ascii_lowercase),
        pick(string.digits),
        pick("!#%+-=?@"),
    ]
    chars += [pick(string.ascii_letters + string.digits) for _ in range(16)]
    secrets.SystemRandom().shuffle(chars)
    password = "".join(chars)
    check_password(password)
    return password
