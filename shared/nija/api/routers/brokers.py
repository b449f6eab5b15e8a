"""The vault over HTTP: connect a broker with API keys, list what is connected, disconnect.
No response ever carries a key: only its masked id and what it may do."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from nija import wiring
from nija.api.auth import current_principal
from nija.api.schemas import CredentialOut, Page
from nija.api.standing import Acting
from nija.domain.models import BrokerName, Principal
from nija.logic.vault import VaultService

router = APIRouter(prefix="/v1/brokers", tags=["brokers"])
VaultServiceDep = Annotated[VaultService, Depends(wiring.vault_service)]
Caller = Annotated[Principal, Depends(current_principal)]

EXAMPLES = {
    "paper": {"value": {"api_key": "any", "api_secret": "any"}},
    "kraken": {"value": {"api_key": "…", "api_secret": "…"}},
    "binance": {"value": {"api_key": "…", "api_secret": "…"}},
    "coinbase": {
        "value": {
            "api_key_name": "organizations/…/apiKeys/…",
            "private_key": "-----BEGIN EC PRIVATE KEY-----…",
        }
    },
    "alpaca": {"value": {"key_id": "PK…", "secret_key": "…", "paper": True}},
}


@router.get("", response_model=Page[CredentialOut])
def list_brokers(caller: Caller, vault_service: VaultServiceDep) -> Page[CredentialOut]:
    """Connected brokers: masked key id, permissions, when stored and validated. Never the keys."""
    return Page[CredentialOut](items=[CredentialOut.of(m) for m in vault_service.list(caller.user_id)])


@router.put("/{broker}/credentials", response_model=CredentialOut)
def put_credentials(
    broker: BrokerName,
    caller: Acting,
    body: Annotated[dict[str, Any], Body(openapi_examples=EXAMPLES)],
    vault_service: VaultServiceDep,
) -> CredentialOut:
    """Store (or replace) this broker's API keys. They are checked with the broker first (a balance
    call); keys that may withdraw funds are refused. Fields: coinbase api_key_name + private_key;
    kraken and binance api_key + api_secret; alpaca key_id + secret_key + paper; paper api_key +
    api_secret (any non-empty values)."""
    return CredentialOut.of(vault_service.connect(caller.user_id, broker, body))


@router.delete("/{broker}/credentials", status_code=204)
def delete_credentials(broker: BrokerName, caller: Acting, vault_service: VaultServiceDep) -> None:
    """Remove the keys and stop trading on this broker: orders still queued for it are refused."""
    vault_service.disconnect(caller.user_id, broker)
