"""What the stage costs, bounded and watched: the X-Ray sampling rule of the stage's services, and the
AWS Budgets monthly cost budget that alerts the alarm topic (and an operator's address) as spending
nears it. The other cost settings sit where their resources are made: every log group's retention
(functions.py, api.py, realtime.py), API Gateway's execution logs at ERROR and the stages' metrics
(api.py), the audit indexes' projections (nija.catalogue)."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_xray as xray
from constructs import Construct

from infra_cdk.stage import StageSettings

# Evaluated before X-Ray's default rule (priority 10000: 1 a second and 5 %).
SAMPLING_PRIORITY = 1000
BUDGETS = "budgets.amazonaws.com"
STAGE_TAG = "stage"  # the app tags every resource stage=<stage> (infra_cdk.app)
# (kind, percent of the budget): spent 80 %, spent it all, or on course to exceed it this month.
BUDGET_ALERTS: tuple[tuple[str, int], ...] = (("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100))


class CostControls(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        topic: sns.ITopic,
        topic_key: kms.IKey,
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        # The stage's REST API stage (API Gateway names it "<api>/<stage>") and functions: all under
        # the prefix. Where a trace starts elsewhere (a schedule, a queue, a stream), Lambda samples on
        # its own default, which it does not let a rule change.
        self.sampling_rule = xray.CfnSamplingRule(
            self,
            "Sampling",
            sampling_rule=xray.CfnSamplingRule.SamplingRuleProperty(
                rule_name=cat.xray_sampling_rule_name,
                priority=SAMPLING_PRIORITY,
                reservoir_size=cat.xray_reservoir_per_second,
                fixed_rate=cat.xray_fixed_rate,
                service_name=cat.xray_service_pattern,
                service_type="*",
                host="*",
                http_method="*",
                url_path="*",
                resource_arn="*",
                version=1,
            ),
        )

        # Budgets publishes to the encrypted alarm topic: it needs the key and the topic's permission, for
        # this account's budgets only.
        stack = Stack.of(self)
        account = {"aws:SourceAccount": stack.account}
        topic_key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetAlerts",  # its own statement: not merged into CloudWatch's
                principals=[iam.ServicePrincipal(BUDGETS)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": account},
            )
        )
        topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="BudgetAlerts",
                principals=[iam.ServicePrincipal(BUDGETS)],
                actions=["sns:Publish"],
                resources=[topic.topic_arn],
                conditions={
                    "StringEquals": account,
                    "ArnLike": {"aws:SourceArn": f"arn:{stack.partition}:budgets::{stack.account}:*"},
                },
            )
        )
        subscribers = [budgets.CfnBudget.SubscriberProperty(subscription_type="SNS", address=topic.topic_arn)]
        if settings.budget_email:
            subscribers.append(
                budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=settings.budget_email)
            )
        self.budget = budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=f"{cat.prefix}-monthly",
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(amount=settings.monthly_budget_usd, unit="USD"),
                # The stage's resources only: once the stage tag is a cost allocation tag (README).
                cost_filters={"TagKeyValue": [f"user:{STAGE_TAG}${settings.stage}"]},
            ),
            notifications_with_subscribers=[
                budgets.CfnBudget.NotificationWithSubscribersProperty(
                    notification=budgets.CfnBudget.NotificationProperty(
                        notification_type=kind,
                        comparison_operator="GREATER_THAN",
                        threshold=percent,
                        threshold_type="PERCENTAGE",
                    ),
                    subscribers=subscribers,
                )
                for kind, percent in BUDGET_ALERTS
            ],
        )
        # The topic's policy must let Budgets publish before the budget's first check.
        self.budget.node.add_dependency(topic)
