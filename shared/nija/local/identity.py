"""Cognito on the moto server, configured as the CDK app configures it, and the demo user."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from nija.adapters.aws import client
from nija.catalogue import Catalogue
from nija.domain.models import Role, Tier, User
from nija.ports.stores import UserStore

PASSWORD_POLICY = {
    "MinimumLength": 12,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}


@dataclass(frozen=True)
class Pool:
    pool_id: str
    client_id: str


@dataclass(frozen=True)
class DemoUser:
    email: str
    password: str
    user_id: str


def create_user_pool(cat: Catalogue) -> Pool:
    idp = client("cognito-idp")
    pool = idp.create_user_pool(
        PoolName=cat.user_pool_name,
        UsernameAttributes=["email"],
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": PASSWORD_POLICY},
        MfaConfiguration="OPTIONAL",
    )["UserPool"]
    idp.create_group(GroupName=cat.admins_group, UserPoolId=pool["Id"])
    app_client = idp.create_user_pool_client(
        UserPoolId=pool["Id"],
        ClientName=cat.user_pool_client_name,
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        AccessTokenValidity=cat.access_token_minutes,
        IdTokenValidity=cat.id_token_minutes,
        RefreshTokenValidity=cat.refresh_token_days,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
    )["UserPoolClient"]
    return Pool(pool["Id"], app_client["ClientId"])


def create_confirmed_user(
    pool: Pool, email: str, password: str, users: UserStore, *, tier: Tier = Tier.BASIC, admin: bool = False
) -> str:
    """A confirmed pool user with a permanent password and a profile, made with Cognito's admin
    calls (any pool): for tests and tools. Users sign up through nija.logic.accounts."""
    idp = client("cognito-idp")
    created = idp.admin_create_user(
        UserPoolId=pool.pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )["User"]
    idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=password, Permanent=True)
    user_id = next(a["Value"] for a in created["Attributes"] if a["Name"] == "sub")
    if admin:
        make_admin(pool, email)
    users.put_user(User(user_id=user_id, email=email, tier=tier, role=Role.ADMIN if admin else Role.USER))
    return user_id


def make_admin(pool: Pool, email: str) -> None:
    client("cognito-idp").admin_add_user_to_group(UserPoolId=pool.pool_id, Username=email, GroupName="admins")


def enrol_totp(pool: Pool, email: str, password: str) -> str:
    """Turn TOTP on for a user as they would (sign in, associate, verify a code, prefer it), and
    return its secret: the local admin's, printed by the banner, so that the admin API admits them."""
    from nija.local.totp import code

    idp = client("cognito-idp")
    signed_in = idp.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    token = signed_in["AuthenticationResult"]["AccessToken"]
    secret = str(idp.associate_software_token(AccessToken=token)["SecretCode"])
    idp.verify_software_token(AccessToken=token, UserCode=code(secret), FriendlyDeviceName="NIJA")
    idp.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    return secret


# How the banner names the local admin's TOTP secret, for scripts that read it (ADMIN_TOTP.search).
ADMIN_TOTP = re.compile(r"TOTP secret: ([A-Za-z2-7]+)")


def http_sign_in(http: Any, email: str, password: str, totp_secret: str | None = None) -> str:
    """An access token through the API (an httpx.Client on its base URL): the password, then, when
    TOTP is on, a code made from its secret."""
    from nija.local.totp import code

    signed_in = http.post("/v1/auth/login", json={"email": email, "password": password})
    signed_in.raise_for_status()
    body = signed_in.json()
    if body.get("challenge") == "SOFTWARE_TOKEN_MFA":
        if totp_secret is None:
            raise RuntimeError(f"{email} has TOTP on: its secret is needed to sign in")
        answer = {"email": email, "session": body["session"], "code": code(totp_secret)}
        verified = http.post("/v1/auth/mfa/verify", json=answer)
        verified.raise_for_status()
        body = verified.json()
    return str(body["access_token"])


DEMO_EMAIL = "demo@nija.local"
DEMO_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 - a published local-only demo account
ADMIN_EMAIL = "admin@nija.local"
ADMIN_PASSWORD = "Admin-Passw0rd!"  # noqa: S105 - a published local-only demo account
DEMO_BALANCES = {"USD": Decimal("100000")}


def connect_paper(user_id: str) -> None:
    """Paper API keys for a user (any non-empty values), through the real vault: validated with the
    paper broker, sealed, stored and audited. The local stack does this for the demo user."""
    from nija import wiring
    from nija.domain.models import BrokerName

    wiring.vault_service().connect(
        user_id, BrokerName.PAPER, {"api_key": f"paper-{user_id[:8]}", "api_secret": "paper"}
    )
