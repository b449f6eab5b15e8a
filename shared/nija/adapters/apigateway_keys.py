"""Per-user API keys in the tier usage plans of API Gateway (boto3; moto's locally)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from nija.adapters.aws import client
from nija.domain.models import Tier
from nija.ports.identity import ApiKey


class ApiGatewayKeys:
    def __init__(self, usage_plan_ids: dict[str, str]) -> None:
        self.plans = usage_plan_ids

    def _plan(self, tier: Tier) -> str:
        return self.plans[tier.value]

    def create(self, user_id: str, tier: Tier) -> ApiKey | None:
        if not self.plans:
            return None
        apigw = client("apigateway")
        key = apigw.create_api_key(name=f"user-{user_id}", enabled=True, tags={"user_id": user_id})
        try:
            apigw.create_usage_plan_key(usagePlanId=self._plan(tier), keyId=key["id"], keyType="API_KEY")
        except Exception:
            apigw.delete_api_key(apiKey=key["id"])
            raise
        return ApiKey(key_id=key["id"], value=key["value"])

    def move(self, key_id: str, old: Tier, new: Tier) -> None:
        """Leave the old plan, then join the new one: API Gateway keeps a key in one plan per stage.
        If joining fails, the key goes back to its old plan, so the user is never left without one."""
        if not self.plans or old is new:
            return
        apigw = client("apigateway")
        try:
            apigw.delete_usage_plan_key(usagePlanId=self._plan(old), keyId=key_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NotFoundException":  # already left: a retried move
                raise
        try:
            apigw.create_usage_plan_key(usagePlanId=self._plan(new), keyId=key_id, keyType="API_KEY")
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConflictException":  # already joined: a retried move
                return
            apigw.create_usage_plan_key(usagePlanId=self._plan(old), keyId=key_id, keyType="API_KEY")
            raise

    def delete(self, key_id: str) -> None:
        try:
            client("apigateway").delete_api_key(apiKey=key_id)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NotFoundException":
                raise
