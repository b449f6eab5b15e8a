"""Broker API credentials: the fields each broker needs, validated, never printed.

Secrets are pydantic SecretStr: repr(), str() and model_dump() show '**********', so a credential
that reaches a log line or an error message by mistake still shows nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError

from nija.domain.errors import InvalidInput
from nija.domain.models import BrokerName, Frozen

Text = Annotated[str, Field(min_length=1, max_length=512)]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=4096)]


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    @property
    def key_id(self) -> str:
        """The public half, shown masked (last 4 characters) in the key's metadata."""
        raise NotImplementedError

    def secret_fields(self) -> dict[str, object]:
        """Every field in clear text: only for sealing in the vault and for the broker client."""
        return {
            k: v.get_secret_value()
            if isinstance(v, SecretStr)
            else (v.value if isinstance(v, BrokerName) else v)
            for k, v in self.model_dump(by_alias=True).items()
        } | {k: v.get_secret_value() for k, v in self.__dict__.items() if isinstance(v, SecretStr)}


class CoinbaseCredentials(_Credentials):
    """Coinbase Advanced Trade (CDP) API key: its name and its EC private key (PEM)."""

    broker: Literal[BrokerName.COINBASE] = BrokerName.COINBASE
    api_key_name: Text
    private_key: Secret

    @property
    def key_id(self) -> str:
        return self.api_key_name


class KrakenCredentials(_Credentials):
    broker: Literal[BrokerName.KRAKEN] = BrokerName.KRAKEN
    api_key: Text
    api_secret: Secret

    @property
    def key_id(self) -> str:
        return self.api_key


class BinanceCredentials(_Credentials):
    broker: Literal[BrokerName.BINANCE] = BrokerName.BINANCE
    api_key: Text
    api_secret: Secret

    @property
    def key_id(self) -> str:
        return self.api_key


class AlpacaCredentials(_Credentials):
    broker: Literal[BrokerName.ALPACA] = BrokerName.ALPACA
    key_id_value: Text = Field(alias="key_id")
    secret_key: Secret
    paper: bool = True

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, populate_by_name=True)

    @property
    def key_id(self) -> str:
        return self.key_id_value


class PaperCredentials(_Credentials):
    broker: Literal[BrokerName.PAPER] = BrokerName.PAPER
    api_key: Text
    api_secret: Secret

    @property
    def key_id(self) -> str:
        return self.api_key


_MODELS = (CoinbaseCredentials, KrakenCredentials, BinanceCredentials, AlpacaCredentials, PaperCredentials)
BrokerCredentials = Annotated[
    CoinbaseCredentials | KrakenCredentials | BinanceCredentials | AlpacaCredentials | PaperCredentials,
    Field(discriminator="broker"),
]
_adapter: TypeAdapter[BrokerCredentials] = TypeAdapter(BrokerCredentials)


def parse_credentials(broker: BrokerName, fields: object) -> BrokerCredentials:
    """The broker's credential model from a request body; InvalidInput names the first bad field
    (and never echoes a value)."""
    if not isinstance(fields, dict):
        raise InvalidInput("the body must be a JSON object of the broker's credential fields")
    try:
        return _adapter.validate_python({**fields, "broker": broker})
    except ValidationError as exc:
        errors = exc.errors()
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        field = ".".join(str(p) for p in first["loc"][1:]) or "body"
        if first["type"] == "extra_forbidden":
            wanted = ", ".join(_fields(broker))
            raise InvalidInput(
                f"{field} is not a {broker.value} credential field (expected: {wanted})", field=field
            ) from None
        if first["type"] == "missing":
            raise InvalidInput(f"{field} is required for {broker.value}", field=field) from None
        raise InvalidInput(f"{field} is not valid: {first['msg']}", field=field) from None


def _fields(broker: BrokerName) -> list[str]:
    model = {c.model_fields["broker"].default: c for c in _MODELS}[broker]
    return [f.alias or name for name, f in model.model_fields.items() if name != "broker"]


def load_credentials(fields: dict[str, object]) -> BrokerCredentials:
    """Back from the vault's sealed JSON (which carries its broker)."""
    return _adapter.validate_python(fields)


def kept_in_vault(broker: BrokerName) -> bool:
    """Whether the broker's keys are sealed and kept. The paper broker is the platform's own
    simulation: it never reads a user's keys (their book is theirs by user id), so its keys are
    checked when connected and not kept; a secret for them would cost $0.40 a month, unread."""
    return broker is not BrokerName.PAPER


def mask(key_id: str) -> str:
    return "****" + key_id[-4:] if len(key_id) > 4 else "****"


class Permission(Frozen):
    """What a key may do, as far as the broker reports it (None: the broker does not say)."""

    read: bool = True
    trade: bool | None = None
    withdraw: bool | None = None


class CredentialMetadata(Frozen):
    """What the platform may show about stored keys: never the keys themselves."""

    user_id: str
    broker: BrokerName
    masked_key: str
    version: int
    permissions: Permission
    created_at: datetime
    validated_at: datetime
    wrapped_at: datetime  # when the secret was last sealed under a fresh data key
    paper_trading: bool | None = None
