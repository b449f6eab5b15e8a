"""One API Gateway usage plan per tier; each user's API key sits in the plan of their tier.

The authorizer returns the user's key as ``usageIdentifierKey`` (the REST API's key source is
AUTHORIZER), so API Gateway throttles every user on their own, by their tier's plan. The rate and
burst come from ``Catalogue.usage_plan_throttle`` (rate N/60 a second, burst N // 6: ten seconds of
the rate), where the local stack can read the same figures; README.md, "Tiers and rate limits", says
why. No quota: a tier is a rate, not a monthly allowance.
"""

from __future__ import annotations

from aws_cdk import Aws, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from constructs import Construct

from nija.catalogue import Catalogue
from nija.domain.models import Tier

# How cdk-nag spells the wildcard resources granted below (tokens as <AWS::Region>, Refs as <LogicalId>).
APIKEYS_WILDCARD = "arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys/*"


def plan_logical_id(tier: Tier) -> str:
    return f"TierPlan{tier.value.capitalize()}"


def plan_keys_wildcard(tier: Tier) -> str:
    return f"arn:<AWS::Partition>:apigateway:<AWS::Region>::/usageplans/<{plan_logical_id(tier)}>/keys/*"


def _apigateway_arn(path: str) -> str:
    # API Gateway's control-plane ARNs have no account; Aws.REGION keeps the nag findings stable per region.
    return f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::{path}"


class TierUsagePlans(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, catalogue: Catalogue, api: apigw.RestApi
    ) -> None:
        super().__init__(scope, construct_id)
        self.plans: dict[Tier, apigw.UsagePlan] = {}
        for tier in Tier:
            bucket = catalogue.usage_plan_throttle(tier)
            plan = apigw.UsagePlan(
                self,
                tier.value.capitalize(),
                name=catalogue.usage_plan_name(tier),
                description=f"NIJA {tier.value} tier: {tier.requests_per_minute} requests a minute per user",
                throttle=apigw.ThrottleSettings(rate_limit=bucket.rate_per_second, burst_limit=bucket.burst),
                api_stages=[apigw.UsagePlanPerApiStage(api=api, stage=api.deployment_stage)],
            )
            # A stable logical id: IAM findings name it (``/usageplans/<TierPlanBasic>/keys/*``).
            plan_resource = plan.node.default_child
            assert isinstance(plan_resource, apigw.CfnUsagePlan)
            plan_resource.override_logical_id(plan_logical_id(tier))
            self.plans[tier] = plan

    @property
    def ids_json(self) -> str:
        """``{"basic": "<plan id>", ...}`` for NIJA_USAGE_PLAN_IDS (a Fn::Join at deploy time)."""
        return Stack.of(self).to_json_string({t.value: p.usage_plan_id for t, p in self.plans.items()})

    def _plan_keys_arns(self, suffix: str = "") -> list[str]:
        return [_apigateway_arn(f"/usageplans/{p.usage_plan_id}/keys{suffix}") for p in self.plans.values()]

    def grant_issue_keys(self, grantee: iam.IGrantable) -> None:
        """Sign-up: create a user's API key and put it in a tier plan; delete it again if sign-up fails."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["apigateway:POST"],
            resource_arns=[_apigateway_arn("/apikeys"), *self._plan_keys_arns()],
        )
        self.grant_delete_keys(grantee)

    def grant_delete_keys(self, grantee: iam.IGrantable) -> None:
        """Delete a user's API key (a failed sign-up's compensation, an erasure)."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["apigateway:DELETE"], resource_arns=[_apigateway_arn("/apikeys/*")]
        )

    def grant_move_keys(self, grantee: iam.IGrantable) -> None:
        """Tier change: add a key to one tier plan and take it out of another."""
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["apigateway:POST"], resource_arns=self._plan_keys_arns()
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["apigateway:DELETE"], resource_arns=self._plan_keys_arns("/*")
        )
