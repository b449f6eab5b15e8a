"""Settings: a pydantic-settings model built on first use, never at import time."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from nija.catalogue import Catalogue, catalogue
from nija.cors import parse_origins
from nija.domain.ip_limits import IpLimit
from nija.logic.admin_access import parse_networks


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NIJA_", extra="ignore")

    stage: str = "local"
    region: str = Field(default="us-east-1", validation_alias="AWS_REGION")
    # Set only in the local stack and tests: every boto3 client and pynamodb model goes there.
    aws_endpoint_url: str | None = None
    # gateway: trust API Gateway's authorizer context; verify: check the bearer token in process.
    auth_mode: Literal["gateway", "verify"] = "verify"
    user_pool_id: str | None = None
    user_pool_client_id: str | None = None
    # Where the JWKS lives; derived from the pool id when unset (the local stack points it at moto).
    jwks_url: str | None = None
    token_issuer: str | None = None
    broker: str | None = None  # the broker an executor deployment serves
    # The REST API whose authorizer cache is flushed when an account is disabled, erased or moves
    # tier (nija.adapters.apigateway_verdicts); the stage is `stage`. Unset locally.
    rest_api_id: str | None = None
    # The customer-managed KMS key that wraps the vault's data keys and encrypts its secrets.
    vault_key_id: str | None = None
    # How long an executor keeps opened credentials in memory (never written anywhere).
    vault_cache_ttl_s: float = 300.0
    # The longest a request to a broker sleeps for its share of the broker's rate limit; a longer
    # wait holds it back as a temporary error (the order message comes back from the queue later).
    broker_throttle_wait_s: float = 2.0
    # How a scheduled strategy scan runs its shards: asynchronous invocations of itself (AWS), or in
    # this process one after another (the local stack: moto cannot run Lambda functions).
    scan_fanout: Literal["lambda", "inline"] = "lambda"
    # Push notifications: Expo's push API, or (the local stack) recorded to `push_outbox`, a JSON-lines file.
    push_mode: Literal["expo", "record"] = "expo"
    push_outbox: str = ".nija-local/push-outbox.jsonl"
    expo_access_token: str | None = None
    # Email the platform sends itself (an imported account's invitation): Cognito's own messages
    # (AWS), or (the local stack) recorded to `email_outbox`, a JSON-lines file; nothing is sent.
    email_mode: Literal["cognito", "record"] = "cognito"
    email_outbox: str = ".nija-local/email-outbox.jsonl"
    # Local stack only: confirm sign-ups at once instead of waiting for the emailed code.
    auto_confirm_signup: bool = False
    # Where the stream processor pushes WebSocket messages: API Gateway's Management API at
    # websocket_endpoint (https://{api id}.execute-api.{region}.amazonaws.com/{stage}), or the local
    # stack's own sockets (nija.local.websocket).
    realtime_push: Literal["apigateway", "local"] = "apigateway"
    websocket_endpoint: str | None = None
    paper_fee_rate: Decimal = Decimal("0.001")
    paper_starting_cash: Decimal = Decimal("100000")
    paper_slippage_bps: Decimal = Decimal("5")
    feed_seed: int = 7
    log_level: str = "INFO"
    # Time series to Timestream (equity, fills, latency): off unless the stack's timestream flag
    # created the database (Timestream for LiveAnalytics takes no new AWS customers since 2025-06).
    timestream_enabled: bool = False
    # Write-once storage of the audit chains' heads (S3 with Object Lock in compliance mode): unset,
    # nothing is anchored and verification checks the links only (nija.domain.audit_anchor).
    audit_anchor_bucket: str | None = None
    # Web origins allowed to call the API from a browser (nija.api.cors): JSON list or comma-separated.
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    # The networks the admin API answers (nija.logic.admin_access): comma-separated addresses or CIDR
    # blocks; empty, any. The CDK app sets it from the stage's admin_ips.
    admin_allowed_ips: Annotated[tuple[IPv4Network | IPv6Network, ...], NoDecode] = ()

    @field_validator("admin_allowed_ips", mode="before")
    @classmethod
    def _networks(cls, value: object) -> tuple[IPv4Network | IPv6Network, ...]:
        return parse_networks(value) if isinstance(value, str | list | tuple) else ()

    # The local stack's per-address limits (nija.ip_limits), "REQUESTS/SECONDS"; unset: the catalogue's.
    sign_in_ip_limit: Annotated[IpLimit | None, NoDecode] = None
    ip_limit: Annotated[IpLimit | None, NoDecode] = None

    @field_validator("sign_in_ip_limit", "ip_limit", mode="before")
    @classmethod
    def _ip_limit(cls, value: object) -> object:
        if isinstance(value, str):
            return IpLimit.parse(value) if value.strip() else None
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, str) and value.strip().startswith("["):
            value = json.loads(value)
        return parse_origins(value)  # type: ignore[arg-type]

    @property
    def catalogue(self) -> Catalogue:
        return catalogue(self.stage)

    @property
    def issuer(self) -> str:
        if self.token_issuer:
            return self.token_issuer
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.user_pool_id}"

    @property
    def jwks(self) -> str:
        return self.jwks_url or f"{self.issuer}/.well-known/jwks.json"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


_reset_hooks: list[Callable[[], None]] = []


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Register a cache that must be dropped with the settings (clients, bound table names)."""
    _reset_hooks.append(hook)
    return hook


def reset_settings() -> None:
    """Forget the cached settings and everything built from them (tests, local stack start-up)."""
    get_settings.cache_clear()
    for hook in _reset_hooks:
        hook()
