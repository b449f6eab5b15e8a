"""API Gateway's authorizer cache: flushed when an account's standing changes.

API Gateway caches the authorizer's verdict per Authorization header for the authorizer's TTL; it
can only flush a stage's whole cache (FlushStageAuthorizersCache), not one user's entries. Accounts
are disabled, erased or moved between tiers rarely, and a flush costs each active user one
authorizer call on their next request, so the whole stage is flushed."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from nija.adapters.aws import client

logger = Logger(child=True)


class ApiGatewayVerdicts:
    def __init__(self, rest_api_id: str | None, stage: str) -> None:
        self.rest_api_id = rest_api_id
        self.stage = stage

    def forget(self, user_id: str) -> None:
        if not self.rest_api_id:
            logger.warning("no REST API id configured: the authorizer cache was not flushed")
            return
        try:
            client("apigateway").flush_stage_authorizers_cache(
                restApiId=self.rest_api_id, stageName=self.stage
            )
        except (BotoCoreError, ClientError) as exc:
            # Best effort: every write for the account checks its standing itself; a cached verdict
            # then only lets reads through until its TTL ends.
            logger.warning("could not flush the authorizer cache", extra={"error": str(exc)})
