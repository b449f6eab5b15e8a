"""moto's Cognito, made to answer as the deployed user pool does where the local stack relies on it.

- Tokens live as long as the app client says (AccessTokenValidity and IdTokenValidity, in the
  client's TokenValidityUnits, hours by default as in Cognito): moto gives every token an hour, so
  the local stack handed out 60-minute access tokens where the cloud gives 15.
- A refresh token whose user is gone (deleted, an erased account) is NotAuthorizedException, as
  Cognito answers: moto failed on the missing user (AttributeError, a 500 the API mapped to 503).
"""

from __future__ import annotations

from typing import Any

SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
VALIDITY = {"access": ("AccessTokenValidity", "AccessToken"), "id": ("IdTokenValidity", "IdToken")}


def validity_seconds(client_config: dict[str, Any], token_use: str) -> int | None:
    """The app client's lifetime for this kind of token, in seconds; None when it sets none."""
    if token_use not in VALIDITY:
        return None
    name, unit_name = VALIDITY[token_use]
    value = client_config.get(name)
    if value is None:
        return None
    unit = (client_config.get("TokenValidityUnits") or {}).get(unit_name, "hours")
    return int(value) * SECONDS[unit]


def install() -> None:
    from moto.cognitoidp import models
    from moto.cognitoidp.exceptions import NotAuthorizedError

    pool = models.CognitoIdpUserPool
    if getattr(pool.create_jwt, "nija_fixed", False):
        return
    create_jwt, from_refresh = pool.create_jwt, pool.create_tokens_from_refresh_token

    def create_jwt_for_client(
        self: Any,
        client_id: str,
        username: str,
        token_use: str,
        expires_in: int = 3600,
        extra_data: dict[str, Any] | None = None,
    ) -> tuple[str, int]:
        app = self.clients.get(client_id)
        configured = validity_seconds(app.extended_config, token_use) if app is not None else None
        return create_jwt(self, client_id, username, token_use, configured or expires_in, extra_data)  # type: ignore[no-any-return]

    def tokens_of_a_present_user(self: Any, refresh_token: str) -> tuple[str, str, int]:
        held = self.refresh_tokens.get(refresh_token)
        if held is not None and self._get_user(held[1]) is None:
            raise NotAuthorizedError("Refresh Token has been revoked")
        return from_refresh(self, refresh_token)  # type: ignore[no-any-return]

    create_jwt_for_client.nija_fixed = True  # type: ignore[attr-defined]
    pool.create_jwt = create_jwt_for_client  # type: ignore[method-assign]
    pool.create_tokens_from_refresh_token = tokens_of_a_present_user  # type: ignore[method-assign]
