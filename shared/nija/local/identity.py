"""Cognito on the moto server, configured as the CDK app configures it, and the demo user."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
