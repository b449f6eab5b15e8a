"""The operations view: an alarm topic (SNS, KMS-encrypted, TLS only), the alarms and a dashboard.

Alarms, each with the topic as its alarm and OK action:
- per broker: its order DLQ holds a message (ApproximateNumberOfMessagesVisible max > 0, 1 minute);
- per executor: error rate (100 * Errors / Invocations > 5 % over 5 minutes);
- the REST API's p99 latency above 500 ms (2 of 3 five-minute periods: a single cold start in a quiet
  period is not an incident);
- throttling: per function, Lambda Throttles > 0 in 5 minutes (concurrency ran out: should never
  happen); the REST API's 429s, counted from its access log by a metric filter (API Gateway publishes no
  429 metric; 4XXError would include every 401/403/404/422), above API_THROTTLED_THRESHOLD in 5 minutes
  (a user hitting their own tier's limit is expected, many are not);
- per broker: its circuit breaker is open (NIJA BreakerOpen max > 0; missing data keeps the state, as
  the executor reports 1 on opening and while holding calls back, 0 on closing).

The business metrics come from nija.observability (one source for names and dimensions); Powertools adds
the ``service`` dimension (POWERTOOLS_SERVICE_NAME, the function's key).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.audit_anchors import ANCHOR_PERIOD
from infra_cdk.constructs.audit_writer import AuditWriter
from infra_cdk.constructs.functions import NijaFunction
from infra_cdk.stage import StageSettings
from nija.ports.telemetry import (
    AUDIT_CHAINS_BROKEN,
    BREAKER_OPEN,
    BROKER,
    NAMESPACE,
    ORDERS_FILLED,
    ORDERS_PLACED,
    ORDERS_REFUSED,
    REASON_CODE,
    SCAN_DURATION,
)

FIVE_MINUTES = Duration.minutes(5)
ONE_MINUTE = Duration.minutes(1)
EXECUTOR_ERROR_RATE_PERCENT = 5
AUDIT_WRITER_LAG = Duration.minutes(5)
API_P99_MS = 500
API_THROTTLED = "ApiThrottled"
API_THROTTLED_THRESHOLD = 50  # 429 answers in 5 minutes, all users together


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        executors: Mapping[str, NijaFunction],
        scans: Mapping[str, NijaFunction],
        scan_failures: Mapping[str, sqs.IQueue],
        functions: Sequence[NijaFunction],
        dlqs: Mapping[str, sqs.IQueue],
        api: apigw.RestApi,
        access_logs: logs.ILogGroup,
        trading_api: NijaFunction,
        audit_writer: AuditWriter,
        audit_anchor: NijaFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        prefix = settings.catalogue.prefix
        self.key = kms.Key(
            self,
            "TopicKey",
            alias=f"alias/{prefix}/alarms",
            description=f"NIJA {settings.stage}: the alarm topic",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
        )
        # CloudWatch publishes to the encrypted topic: it needs the key (the documented key policy).
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" is this key
                conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
            )
        )
        self.topic = sns.Topic(
            self,
            "Alarms",
            topic_name=f"{prefix}-alarms",
            display_name=f"NIJA {settings.stage} alarms",
            master_key=self.key,
            enforce_ssl=True,
        )
        self.alarms: list[cw.Alarm] = []
        action = cw_actions.SnsAction(self.topic)

        def alarm(construct_id: str, **props: object) -> cw.Alarm:
            made = cw.Alarm(self, construct_id, **props)  # type: ignore[arg-type]
            made.add_alarm_action(action)
            made.add_ok_action(action)
            self.alarms.append(made)
            return made

        def alarm_on_any(construct_id: str, name: str, description: str, metric: cw.IMetric) -> cw.Alarm:
            """Alarms at the first datum above 0 (a message on a failure queue, an error, a break)."""
            return alarm(
                construct_id,
                alarm_name=f"{prefix}-{name}",
                alarm_description=description,
                metric=metric,
                threshold=0,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )

        for broker, dlq in dlqs.items():
            alarm_on_any(
                f"Dlq{broker.capitalize()}",
                f"{broker}-dlq-not-empty",
                f"Orders for {broker} reached the dead-letter queue: a human decides",
                dlq.metric_approximate_number_of_messages_visible(
                    period=ONE_MINUTE, statistic=cw.Stats.MAXIMUM
                ),
            )

        for broker, failed in scan_failures.items():
            alarm_on_any(
                f"ScanFailed{broker.capitalize()}",
                f"{broker}-scan-failed",
                f"A {broker} strategy scan (or one of its shards) failed after its retries: its event is "
                "on the scan's failure queue",
                failed.metric_approximate_number_of_messages_visible(
                    period=ONE_MINUTE, statistic=cw.Stats.MAXIMUM
                ),
            )

        # The audit trail falls behind (a record retried again and again holds its chain's shard) or
        # lost a batch the event source had to drop.
        self.audit_iterator_age = audit_writer.function.function.metric(
            "IteratorAge", period=ONE_MINUTE, statistic=cw.Stats.MAXIMUM, label="audit writer iterator age"
        )
        alarm(
            "AuditWriterBehind",
            alarm_name=f"{prefix}-audit-writer-behind",
            alarm_description="The audit writer is more than 5 minutes behind the state table's stream",
            metric=self.audit_iterator_age,
            threshold=AUDIT_WRITER_LAG.to_milliseconds(),
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )
        alarm_on_any(
            "AuditWriterFailed",
            "audit-writer-dropped-records",
            "The audit writer's event source dropped a batch: audit events to replay",
            audit_writer.failed.metric_approximate_number_of_messages_visible(
                period=ONE_MINUTE, statistic=cw.Stats.MAXIMUM
            ),
        )

        # Anchoring found a chain that no longer holds its anchored head (tampering), or did not run.
        alarm_on_any(
            "AuditChainBroken",
            "audit-chain-broken",
            "An audit chain no longer holds its anchored head: see the audit_anchor logs",
            cw.Metric(
                namespace=NAMESPACE,
                metric_name=AUDIT_CHAINS_BROKEN,
                dimensions_map={"service": settings.catalogue.audit_anchor.key},
                period=ANCHOR_PERIOD,
                statistic=cw.Stats.MAXIMUM,
            ),
        )
        alarm_on_any(
            "AuditAnchorFailed",
            "audit-anchor-failed",
            "The hourly audit anchoring failed: the chains' newest records are not anchored",
            audit_anchor.function.metric_errors(period=ANCHOR_PERIOD, statistic="Sum"),
        )

        self.executor_error_rates: dict[str, cw.MathExpression] = {}
        for broker, executor in executors.items():
            rate = cw.MathExpression(
                # Ids unique per broker: the dashboard graphs every executor's rate in one widget.
                expression=f"IF(invocations_{broker} > 0, 100 * errors_{broker} / invocations_{broker}, 0)",
                using_metrics={
                    f"errors_{broker}": executor.function.metric_errors(period=FIVE_MINUTES, statistic="Sum"),
                    f"invocations_{broker}": executor.function.metric_invocations(
                        period=FIVE_MINUTES, statistic="Sum"
                    ),
                },
                label=f"{broker} executor error rate (%)",
                period=FIVE_MINUTES,
            )
            self.executor_error_rates[broker] = rate
            alarm(
                f"ExecutorErrors{broker.capitalize()}",
                alarm_name=f"{prefix}-{broker}-executor-error-rate",
                alarm_description=f"More than {EXECUTOR_ERROR_RATE_PERCENT} % of the {broker} executor's "
                "invocations failed in 5 minutes",
                metric=rate,
                threshold=EXECUTOR_ERROR_RATE_PERCENT,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )

        stage = api.deployment_stage
        self.api_p99 = stage.metric_latency(period=FIVE_MINUTES, statistic="p99")
        alarm(
            "ApiLatencyP99",
            alarm_name=f"{prefix}-api-latency-p99",
            alarm_description=f"The REST API's p99 latency is above {API_P99_MS} ms",
            metric=self.api_p99,
            threshold=API_P99_MS,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )

        for fn in functions:
            name = fn.definition.name
            alarm_on_any(
                f"Throttles-{name}",
                f"{name.removeprefix(f'{prefix}-')}-throttled",
                f"Lambda throttled {name}: its concurrency ran out",
                fn.function.metric_throttles(period=FIVE_MINUTES, statistic="Sum"),
            )

        logs.MetricFilter(
            self,
            "ApiThrottledFilter",
            log_group=access_logs,
            filter_pattern=logs.FilterPattern.string_value("$.status", "=", "429"),
            metric_namespace=NAMESPACE,
            metric_name=API_THROTTLED,
            metric_value="1",
            default_value=0,
        )
        self.api_throttled = cw.Metric(
            namespace=NAMESPACE, metric_name=API_THROTTLED, period=FIVE_MINUTES, statistic="Sum"
        )
        alarm(
            "ApiThrottled",
            alarm_name=f"{prefix}-api-throttled",
            alarm_description=f"The REST API answered 429 more than {API_THROTTLED_THRESHOLD} times in "
            "5 minutes (stage or tier limits)",
            metric=self.api_throttled,
            threshold=API_THROTTLED_THRESHOLD,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )

        def business(
            name: str, service: str, broker: str, statistic: str = "Sum", label: bool = True
        ) -> cw.Metric:
            # No label on an alarm's metric: with one, the CDK writes the alarm as metric math.
            return cw.Metric(
                namespace=NAMESPACE,
                metric_name=name,
                dimensions_map={BROKER: broker, "service": service},
                period=FIVE_MINUTES if name != BREAKER_OPEN else ONE_MINUTE,
                statistic=statistic,
                label=(broker if statistic in ("Sum", "Maximum") else f"{broker} {statistic}")
                if label
                else None,
            )

        self.breakers: dict[str, cw.Metric] = {}
        for broker, executor in executors.items():
            self.breakers[broker] = business(BREAKER_OPEN, executor.definition.key, broker, "Maximum")
            alarm(
                f"BreakerOpen{broker.capitalize()}",
                alarm_name=f"{prefix}-{broker}-breaker-open",
                alarm_description=f"The {broker} circuit breaker is open: calls to the broker are held back",
                metric=business(BREAKER_OPEN, executor.definition.key, broker, "Maximum", label=False),
                threshold=0,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.IGNORE,
            )

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{prefix}-operations")
        brokers = sorted(executors)
        refused = (
            f"SEARCH('{{{NAMESPACE},{BROKER},{REASON_CODE},service}} MetricName=\"{ORDERS_REFUSED}\"', "
            "'Sum', 300)"
        )
        self.dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Orders placed (trading API)",
                left=[business(ORDERS_PLACED, trading_api.definition.key, b) for b in brokers],
                stacked=True,
            ),
            cw.GraphWidget(
                title="Orders filled",
                left=[business(ORDERS_FILLED, executors[b].definition.key, b) for b in brokers],
                stacked=True,
            ),
            cw.GraphWidget(
                title="Orders refused, by broker and reason code",
                left=[cw.MathExpression(expression=refused, label="", period=FIVE_MINUTES)],
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="Scan duration per shard (ms, p50 and max)",
                left=[
                    business(SCAN_DURATION, scans[b].definition.key, b, stat)
                    for b in sorted(scans)
                    for stat in ("p50", "Maximum")
                ],
            ),
            cw.GraphWidget(title="Circuit breakers (1 = open)", left=list(self.breakers.values())),
            cw.GraphWidget(
                title="Executor error rate (%)",
                left=[self.executor_error_rates[b] for b in brokers],
                left_annotations=[cw.HorizontalAnnotation(value=EXECUTOR_ERROR_RATE_PERCENT, label="alarm")],
            ),
        )
        self.dashboard.add_widgets(
            cw.GraphWidget(
                title="REST API latency p99 (ms)",
                left=[self.api_p99],
                left_annotations=[cw.HorizontalAnnotation(value=API_P99_MS, label="alarm")],
            ),
            cw.GraphWidget(
                title="Throttling: Lambda throttles and API 429s",
                left=[fn.function.metric_throttles(period=FIVE_MINUTES, statistic="Sum") for fn in functions],
                right=[self.api_throttled],
            ),
            cw.GraphWidget(
                title="Audit writer iterator age (ms)",
                left=[self.audit_iterator_age],
                left_annotations=[
                    cw.HorizontalAnnotation(value=AUDIT_WRITER_LAG.to_milliseconds(), label="alarm")
                ],
            ),
            cw.GraphWidget(
                title="Order DLQ depth",
                left=[
                    dlq.metric_approximate_number_of_messages_visible(
                        period=ONE_MINUTE, statistic=cw.Stats.MAXIMUM, label=broker
                    )
                    for broker, dlq in dlqs.items()
                ],
            ),
        )
