"""A stage's identity and vault resources found by the catalogue's names, for an operator's command
run from outside the stage (`nija migrate` against the local stack, whose ids are made afresh at
each start): the user pool and its app client, and the vault's key."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from nija.adapters.aws import client
from nija.catalogue import Catalogue
from nija.domain.errors import ServiceUnavailable


def discover(cat: Catalogue) -> dict[str, str]:
    """NIJA_* settings naming the stage's resources; ServiceUnavailable when one is not there."""
    try:
        return _discover(cat)
    except (BotoCoreError, ClientError) as exc:
        raise ServiceUnavailable(f"the stage {cat.stage!r} did not answer: {type(exc).__name__}") from None


def _discover(cat: Catalogue) -> dict[str, str]:
    idp = client("cognito-idp")
    pools = [
        p["Id"]
        for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60)
        for p in page["UserPools"]
        if p["Name"] == cat.user_pool_name
    ]
    if len(pools) != 1:
        raise ServiceUnavailable(f"{len(pools)} user pools are named {cat.user_pool_name} (one expected)")
    clients = [
        c["ClientId"]
        for c in idp.list_user_pool_clients(UserPoolId=pools[0], MaxResults=60)["UserPoolClients"]
        if c["ClientName"] == cat.user_pool_client_name
    ]
    if len(clients) != 1:
        raise ServiceUnavailable(
            f"the user pool has {len(clients)} clients named {cat.user_pool_client_name}"
        )
    key = client("kms").describe_key(KeyId=cat.vault_key_alias)["KeyMetadata"]["Arn"]
    return {"NIJA_USER_POOL_ID": pools[0], "NIJA_USER_POOL_CLIENT_ID": clients[0], "NIJA_VAULT_KEY_ID": key}
