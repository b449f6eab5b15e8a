"""The REQUEST authorizer's Lambda handler against Cognito on a moto server.

The authorizer fetches the user pool's JWKS over HTTP, so these tests need a real endpoint: a moto
server in this process (session-scoped), with the state table and a user pool provisioned per test
the way the local stack provisions them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nija import wiring
from nija.adapters.aws import client
from nija.config import get_settings, reset_settings
from nija.domain.models import Tier, User, UserStatus
from nija.local import identity, totp
from nija.local.provision import create_vault_key, provision_data_plane
from tests.kit import password_tokens

pytestmark = pytest.mark.xdist_group("motoserver")

PASSWORD = "Sample-Passw0rd!"
API_ARN = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5"


def tokens(client_id: str, email: str, password: str = PASSWORD) -> dict[str, str]:
    return password_tokens(client_id, email, password)


@dataclass(frozen=True)
class Cognito:
    endpoint: str
    pool: identity.Pool
    user_id: str
    email: str

    def tokens(self) -> dict[str, str]:
        return tokens(self.pool.client_id, self.email)

    def access_token(self) -> str:
        return self.tokens()["AccessToken"]


@pytest.fixture(scope="module")
def pool(moto_endpoint: str) -> Iterator[identity.Pool]:
    """The state table and queues, and a user pool, on the moto server, as the local stack makes them.

    Module-scoped like a warm Lambda: clients and the fetched JWKS are reused between tests.
    """
    with pytest.MonkeyPatch.context() as env:
        env.setenv("NIJA_AWS_ENDPOINT_URL", moto_endpoint)
        env.setenv("NIJA_STAGE", "test")
        reset_settings()
        provision_data_plane(get_settings().catalogue)
        env.setenv("NIJA_VAULT_KEY_ID", create_vault_key(get_settings().catalogue))
        made = identity.create_user_pool(get_settings().catalogue)
        env.setenv("NIJA_USER_POOL_ID", made.pool_id)
        env.setenv("NIJA_USER_POOL_CLIENT_ID", made.client_id)
        env.setenv("NIJA_JWKS_URL", f"{moto_endpoint}/{made.pool_id}/.well-known/jwks.json")
        reset_settings()
        yield made
    reset_settings()


@pytest.fixture
def cognito(moto_endpoint: str, pool: identity.Pool) -> Cognito:
    """A new confirmed user with a NIJA profile (basic tier)."""
    email = f"trader-{uuid.uuid4().hex[:12]}@example.com"
    user_id = identity.create_confirmed_user(pool, email, PASSWORD, wiring.users())
    return Cognito(moto_endpoint, pool, user_id, email)


def policy(out: dict[str, Any], effect: str, principal: str) -> None:
    assert out["principalId"] == principal
    assert out["policyDocument"] == {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": f"{API_ARN}/*"}],
    }


def test_a_valid_access_token_is_allowed(cognito: Cognito, authorizer, load_event) -> None:
    event = load_event("authorizer/request", token=cognito.access_token())
    assert event["methodArn"].startswith(f"{API_ARN}/test/GET/")

    out = authorizer(event)

    policy(out, "Allow", cognito.user_id)
    assert out["context"] == {"user_id": cognito.user_id, "tier": "basic", "role": "user"}


def test_a_token_is_refused_once_its_15_minutes_are_over(
    cognito: Cognito, monkeypatch: pytest.MonkeyPatch, authorizer, load_event
) -> None:
    """The pool client's lifetime (the catalogue's, the deployed pool's), enforced by the verifier
    through the token's exp: 14 minutes on it holds, a second past 15 it does not, in the verifier
    and in the authorizer's answer (API Gateway's 401). The emulator issues the exp the cloud would
    (nija.local.moto_cognito); the deployed verifier is the one that refuses."""
    import datetime as dt

    import jwt.api_jwt

    from nija.api.verify import token_verifier
    from nija.domain.errors import Unauthenticated

    lifetime = get_settings().catalogue.access_token_minutes * 60
    issued = cognito.tokens()
    assert int(issued["ExpiresIn"]) == lifetime == 900

    def later(seconds: int, check: Any) -> Any:
        class Later(dt.datetime):  # PyJWT's clock, moved on: no sleeping
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return dt.datetime.now(tz) + dt.timedelta(seconds=seconds)

        with monkeypatch.context() as clock:
            clock.setattr(jwt.api_jwt, "datetime", Later)
            return check()

    def verify() -> Any:
        return token_verifier().verify(issued["AccessToken"])

    def authorize() -> Any:
        return authorizer(load_event("authorizer/request", token=issued["AccessToken"]))

    assert later(lifetime - 60, verify)["sub"] == cognito.user_id
    with pytest.raises(Unauthenticated, match="expired"):
        later(lifetime + 6, verify)  # past the verifier's 5 s leeway
    with pytest.raises(Exception, match=r"^Unauthorized$"):  # API Gateway's 401, by this text
        later(lifetime + 6, authorize)


def test_header_names_are_case_insensitive(cognito: Cognito, authorizer, load_event) -> None:
    event = load_event("authorizer/request", token=cognito.access_token())
    event["headers"]["authorization"] = event["headers"].pop("Authorization")
    assert authorizer(event)["principalId"] == cognito.user_id


def test_tier_and_admin_role_come_from_the_profile_and_groups(
    cognito: Cognito, authorizer, load_event
) -> None:
    email = f"admin-{uuid.uuid4().hex[:12]}@example.com"
    admin_id = identity.create_confirmed_user(
        cognito.pool, email, PASSWORD, wiring.users(), tier=Tier.PRO, admin=True
    )
    token = tokens(cognito.pool.client_id, email)["AccessToken"]

    out = authorizer(load_event("authorizer/request", token=token))

    policy(out, "Allow", admin_id)
    assert out["context"] == {"user_id": admin_id, "tier": "pro", "role": "admin", "mfa": "false"}

    secret = identity.enrol_totp(cognito.pool, email, PASSWORD)  # the admin API needs it: see the context
    idp = client("cognito-idp")
    with_totp = idp.admin_initiate_auth(
        UserPoolId=cognito.pool.pool_id,
        ClientId=cognito.pool.client_id,
        AuthFlow="ADMIN_NO_SRP_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    assert with_totp["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    answered = idp.admin_respond_to_auth_challenge(
        UserPoolId=cognito.pool.pool_id,
        ClientId=cognito.pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=with_totp["Session"],
        ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": totp.code(secret)},
    )
    out = authorizer(load_event("authorizer/request", token=answered["AuthenticationResult"]["AccessToken"]))
    assert out["context"]["mfa"] == "true"


def _other_pools_token(cognito: Cognito) -> str:
    other = identity.create_user_pool(get_settings().catalogue)
    identity.create_confirmed_user(other, cognito.email, PASSWORD, wiring.users())
    return tokens(other.client_id, cognito.email)["AccessToken"]


def _other_clients_token(cognito: Cognito) -> str:
    other = client("cognito-idp").create_user_pool_client(
        UserPoolId=cognito.pool.pool_id,
        ClientName="someone-elses-app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    return tokens(other["ClientId"], cognito.email)["AccessToken"]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no-token"),
        pytest.param(lambda c: "garbage", id="garbage"),
        pytest.param(lambda c: c.tokens()["IdToken"], id="id-token"),
        pytest.param(lambda c: c.access_token()[:-8] + "AAAAAAAA", id="bad-signature"),
        pytest.param(_other_pools_token, id="another-pool"),
        pytest.param(_other_clients_token, id="another-client"),
    ],
)
def test_a_bad_or_missing_token_is_unauthorized(cognito: Cognito, authorizer, load_event, token) -> None:
    if token is None:
        event = load_event("authorizer/request_no_token")
        assert "Authorization" not in event["headers"]
    else:
        event = load_event("authorizer/request", token=token(cognito))

    with pytest.raises(Exception, match=r"^Unauthorized$") as raised:  # API Gateway's 401, by this text
        authorizer(event)
    assert type(raised.value) is Exception


def test_a_disabled_user_is_denied(cognito: Cognito, authorizer, load_event) -> None:
    token = cognito.access_token()
    user = wiring.users().get_user(cognito.user_id)
    assert user is not None
    wiring.users().put_user(User(**{**user.model_dump(), "status": UserStatus.DISABLED}))

    out = authorizer(load_event("authorizer/request", token=token))

    policy(out, "Deny", "denied")
    assert "context" not in out


def test_a_user_without_a_profile_is_denied(cognito: Cognito, authorizer, load_event) -> None:
    email = f"no-profile-{uuid.uuid4().hex[:12]}@example.com"
    idp = client("cognito-idp")
    idp.admin_create_user(
        UserPoolId=cognito.pool.pool_id,
        Username=email,
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    idp.admin_set_user_password(
        UserPoolId=cognito.pool.pool_id, Username=email, Password=PASSWORD, Permanent=True
    )

    out = authorizer(
        load_event("authorizer/request", token=tokens(cognito.pool.client_id, email)["AccessToken"])
    )

    policy(out, "Deny", "denied")


@pytest.mark.filterwarnings("ignore:No application metrics to publish:UserWarning")
def test_the_context_it_returns_is_what_trading_api_trusts(
    gateway_mode: None, cognito: Cognito, authorizer, load_event, build_trading_api
) -> None:
    """API Gateway copies the authorizer's context (and principalId) into the request context."""
    out = authorizer(load_event("authorizer/request", token=cognito.access_token()))
    trading_api = build_trading_api()
    event = load_event("trading_api/orders_list", user_id="placeholder")
    event["requestContext"]["authorizer"] = {**out["context"], "principalId": out["principalId"]}

    r = trading_api.invoke(event)

    assert r.status == 200, r.body
    assert r.body == {"items": []}
    identity.connect_paper(cognito.user_id)
    placed = load_event("trading_api/orders_create", user_id="x", idempotency_key="chain-1")
    placed["requestContext"]["authorizer"] = event["requestContext"]["authorizer"]
    order = trading_api.invoke(placed)
    assert order.status == 202
    assert wiring.orders().get_order(cognito.user_id, order.body["order_id"]) is not None
