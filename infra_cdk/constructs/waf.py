"""AWS WAF in front of the REST API stage: the per-address limits (nija.ip_limits, the catalogue's
numbers) as rate-based rules, and AWS managed rule groups.

Rules, in WAF's order (the first to block a request ends its evaluation, and no later rule counts it):

0. AWSManagedRulesAmazonIpReputationList: addresses Amazon's threat intelligence lists.
1. sign-in per address: the sign-in routes (the public /v1/auth/ routes of nija.api.routes, any method),
   a 429 in the API's error shape with Retry-After beyond the stage's limit.
2. all per address: every request, the same 429 beyond its limit.
3. AWSManagedRulesKnownBadInputsRuleSet: request patterns known to exploit software (Log4j and others).
4. AWSManagedRulesCommonRuleSet, its SizeRestrictions_BODY rule only counting: it blocks bodies over
   8 KB, and the API takes up to 64 KiB (a backtest's 500 inline candles are about 55 KB), a size each
   route's own limit holds (nija.api.apps.MAX_BODY_BYTES, a 413 in the error shape).

WAF sees the path the caller sent: on the stage's execute-api URL it starts with the stage
(/dev/v1/auth/login), on a custom domain mapped to the stage it does not; the scope-down matches both.
Each rule publishes CloudWatch metrics and keeps sampled requests; the web ACL's own default (every
request no rule blocked) keeps none, since those carry users' bearer tokens. Blocked and counted
requests are logged to `aws-waf-logs-<prefix>-api` with the Authorization header redacted.

The WebSocket API (API Gateway v2) cannot have a web ACL: WAF protects REST APIs, not HTTP or
WebSocket APIs. It keeps its stage throttle (constructs/realtime.py), and its $connect verifies a token.
"""

from __future__ import annotations

import json
import re

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra_cdk.stage import StageSettings
from nija import ip_limits
from nija.domain.ip_limits import IpRule

W = wafv2.CfnWebACL
# (priority, rule name, managed rule group, its rules that only count)
MANAGED_GROUPS: tuple[tuple[int, str, str, tuple[str, ...]], ...] = (
    (0, "aws-ip-reputation", "AWSManagedRulesAmazonIpReputationList", ()),
    (3, "aws-known-bad-inputs", "AWSManagedRulesKnownBadInputsRuleSet", ()),
    (4, "aws-common", "AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
)
RATE_PRIORITIES = {ip_limits.SIGN_IN: 1, ip_limits.ALL: 2}
REDACTED_HEADERS = ("authorization",)


def path_pattern(path: str, stage: str) -> str:
    """The regex WAF matches a sign-in route's URI path with: with or without the stage in front, and a
    trailing slash (API Gateway routes it to the same resource). No capturing group: WAF refuses them."""
    return f"^(?:/{re.escape(stage)})?{re.escape(path)}/?$"


def _visibility(metric: str, *, sampled: bool = True) -> W.VisibilityConfigProperty:
    return W.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric, sampled_requests_enabled=sampled
    )


def _scope_down(rule: IpRule, stage: str) -> W.StatementProperty | None:
    if rule.paths is None:
        return None
    matches = [
        W.StatementProperty(
            regex_match_statement=W.RegexMatchStatementProperty(
                regex_string=path_pattern(path, stage),
                field_to_match=W.FieldToMatchProperty(uri_path={}),
                text_transformations=[W.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        for path in sorted(rule.paths)
    ]
    if len(matches) == 1:
        return matches[0]
    return W.StatementProperty(or_statement=W.OrStatementProperty(statements=matches))


class ApiFirewall(Construct):
    """The stage's web ACL, its association with ``stage``, and its log."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        stage: apigw.Stage,
        refusal_headers: dict[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.rules = ip_limits.rules(cat)
        bodies: dict[str, W.CustomResponseBodyProperty] = {}
        waf_rules: list[W.RuleProperty] = []
        for rule in self.rules:
            key = f"rate-limited-{rule.name}"
            bodies[key] = W.CustomResponseBodyProperty(
                content_type="APPLICATION_JSON",
                content=json.dumps({"error": {"code": "rate_limited", "message": rule.message}}),
            )
            # WAF cannot say when this address is admitted again; at the latest one window after it
            # stops, so that is the wait it names.
            headers = {**refusal_headers, "Retry-After": str(rule.limit.window_s)}
            waf_rules.append(
                W.RuleProperty(
                    name=f"{rule.name}-per-ip",
                    priority=RATE_PRIORITIES[rule.name],
                    statement=W.StatementProperty(
                        rate_based_statement=W.RateBasedStatementProperty(
                            aggregate_key_type="IP",
                            limit=rule.limit.limit,
                            evaluation_window_sec=rule.limit.window_s,
                            scope_down_statement=_scope_down(rule, settings.stage),
                        )
                    ),
                    action=W.RuleActionProperty(
                        block=W.BlockActionProperty(
                            custom_response=W.CustomResponseProperty(
                                response_code=429,
                                custom_response_body_key=key,
                                response_headers=[
                                    W.CustomHTTPHeaderProperty(name=name, value=value)
                                    for name, value in headers.items()
                                ],
                            )
                        )
                    ),
                    visibility_config=_visibility(f"{cat.prefix}-{rule.name}-per-ip"),
                )
            )
        for priority, name, group, counted in MANAGED_GROUPS:
            waf_rules.append(
                W.RuleProperty(
                    name=name,
                    priority=priority,
                    statement=W.StatementProperty(
                        managed_rule_group_statement=W.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name=group,
                            rule_action_overrides=[
                                W.RuleActionOverrideProperty(
                                    name=sub_rule, action_to_use=W.RuleActionProperty(count={})
                                )
                                for sub_rule in counted
                            ]
                            or None,
                        )
                    ),
                    override_action=W.OverrideActionProperty(none={}),
                    visibility_config=_visibility(f"{cat.prefix}-{name}"),
                )
            )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            name=f"{cat.prefix}-api",
            description=f"NIJA {settings.stage}: per-address limits and AWS managed rules for the REST API",
            scope="REGIONAL",
            default_action=W.DefaultActionProperty(allow={}),
            visibility_config=_visibility(f"{cat.prefix}-api", sampled=False),
            custom_response_bodies=bodies,
            rules=sorted(waf_rules, key=lambda r: r.priority),
        )
        self.association = wafv2.CfnWebACLAssociation(
            self, "Association", resource_arn=stage.stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
        self.log_group = logs.LogGroup(
            self,
            "Log",
            log_group_name=f"aws-waf-logs-{cat.prefix}-api",  # WAF logs only to groups so named
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        # WAF wants the group's ARN without the ":*" that LogGroup.log_group_arn ends with.
        log_arn = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=self.log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        logging = wafv2.CfnLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl.attr_arn,
            log_destination_configs=[log_arn],
            redacted_fields=[
                wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": name})
                for name in REDACTED_HEADERS
            ],
            # Blocked and counted requests only: what a rule did is what is worth reading, and logging
            # every allowed request would cost more than WAF itself.
            logging_filter={
                "DefaultBehavior": "DROP",
                "Filters": [
                    {
                        "Behavior": "KEEP",
                        "Requirement": "MEETS_ANY",
                        "Conditions": [
                            {"ActionCondition": {"Action": "BLOCK"}},
                            {"ActionCondition": {"Action": "COUNT"}},
                        ],
                    }
                ],
            },
        )
        logging.node.add_dependency(self.log_group)
