"""Compute and edge: the layers (common, and each broker's client), Cognito, the executors (one per
broker, each with its broker's layer), the authorizer, the REST API and its three functions
(dashboard_api, trading_api, admin_api), and the tier usage plans."""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.api import NijaRestApi
from infra_cdk.constructs.audit_anchors import AuditAnchorJob
from infra_cdk.constructs.audit_writer import AuditWriter
from infra_cdk.constructs.costs import CostControls
from infra_cdk.constructs.functions import CommonLayer, NijaFunction, NijaLayer, broker_layers
from infra_cdk.constructs.nag import KMS_DATA_KEY_ACTIONS, acknowledge
from infra_cdk.constructs.observability import Observability
from infra_cdk.constructs.realtime import RealtimeApi
from infra_cdk.constructs.timeseries import TimeSeriesStore, timestream_enabled
from infra_cdk.constructs.user_pool import UserPool
from infra_cdk.stacks.data import DataStack
from infra_cdk.stage import StageSettings
from layers.recipes import TRADING_API_LAYERS
from nija.catalogue import FunctionDef
from nija.domain.credentials import kept_in_vault

EXECUTOR_BATCH_SIZE = 10  # the SQS FIFO maximum
SYNC_EVERY = Duration.minutes(1)  # EventBridge's finest rate


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        data: DataStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cat = settings.catalogue
        self.common_layer = CommonLayer(self, "CommonLayer", settings=settings)
        layers = [self.common_layer.layer]
        # Broker client layers (layers/build.py), each made once and shared by the functions that need it.
        self.broker_layers: dict[str, NijaLayer] = {}

        def with_layers(names: tuple[str, ...]) -> list[lambda_.ILayerVersion]:
            for name in names:
                if name not in self.broker_layers:
                    construct_id = "Layer" + "".join(part.capitalize() for part in name.split("-"))
                    self.broker_layers[name] = NijaLayer(self, construct_id, name=name, settings=settings)
            return [*layers, *(self.broker_layers[name].layer for name in names)]

        users = UserPool(self, "Users", settings=settings)
        cognito_env = {
            "NIJA_USER_POOL_ID": users.pool.user_pool_id,
            "NIJA_USER_POOL_CLIENT_ID": users.client.user_pool_client_id,
        }

        # The vault key's ARN: trading_api seals and stores keys with it, each executor opens its broker's.
        vault_env = {"NIJA_VAULT_KEY_ID": data.vault.key_arn}

        self.executors: dict[str, NijaFunction] = {}
        self.scans: dict[str, NijaFunction] = {}
        self.scan_failures: dict[str, sqs.Queue] = {}
        for broker, order_queue in data.order_queues.by_broker.items():
            executor = NijaFunction(
                self,
                f"Executor{broker.value.capitalize()}",
                definition=cat.executor(broker),
                settings=settings,
                # Its broker's client only: an executor never imports another broker's library.
                layers=with_layers(broker_layers(broker)),
                environment={"NIJA_BROKER": broker.value, **vault_env},
                description=f"NIJA executor for {broker.value} orders",
            )
            data.state.grant_data(executor.function, write=True)
            # Its own broker's keys and data keys only; every read is audited (PutItem, nothing else).
            # The paper broker keeps no keys (nija.domain.credentials.kept_in_vault): no grant.
            if kept_in_vault(broker):
                data.vault.grant_read(executor.function, broker)
            data.audit.grant_append(executor.function)
            # The event source grants consume on this queue (and decrypt on its key), nothing else.
            executor.function.add_event_source(
                sources.SqsEventSource(
                    order_queue.queue, batch_size=EXECUTOR_BATCH_SIZE, report_batch_item_failures=True
                )
            )
            # A message that can never be processed is moved to the DLQ at once (quarantine).
            order_queue.dlq.grant_send_messages(executor.function)
            # The executor tells its broker by the rule's name (catalogue.broker_of) and syncs open orders.
            events.Rule(
                self,
                f"Sync{broker.value.capitalize()}",
                rule_name=cat.sync_rule_name(broker),
                description=f"NIJA executor for {broker.value}: look up open orders at the broker",
                schedule=events.Schedule.rate(SYNC_EVERY),
                targets=[targets.LambdaFunction(executor.function)],
            )
            acknowledge(executor.function, KMS_DATA_KEY_ACTIONS)
            self.executors[broker.value] = executor

            # The strategy scan for this broker: its market data (public endpoints, no keys: no vault
            # access), the users' settings, positions and switches, and intents onto its queue.
            scan_def = cat.strategy_scan(broker)
            scan = NijaFunction(
                self,
                f"Scan{broker.value.capitalize()}",
                definition=scan_def,
                settings=settings,
                layers=with_layers(broker_layers(broker)),
                environment={"NIJA_BROKER": broker.value},
                description=f"NIJA strategy scan for {broker.value}: signals once, a decision per user",
            )
            data.state.grant_data(scan.function, write=True)
            data.audit.grant_append(scan.function)  # each intent, with the strategy's reason
            order_queue.queue.grant_send_messages(scan.function)
            # The schedule's invocation fans out one asynchronous invocation of itself per shard. By name,
            # not by the function's ARN: a role naming its own function would be a circular reference.
            scan.function.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"],
                    resources=[
                        self.format_arn(
                            service="lambda",
                            resource="function",
                            resource_name=scan_def.name,
                            arn_format=ArnFormat.COLON_RESOURCE_NAME,
                        )
                    ],
                )
            )
            events.Rule(
                self,
                f"Scan{broker.value.capitalize()}Schedule",
                rule_name=cat.scan_rule_name(broker),
                description=f"NIJA strategy scan for {broker.value}",
                schedule=events.Schedule.rate(Duration.minutes(settings.scan_every_minutes)),
                targets=[targets.LambdaFunction(scan.function)],
            )
            # A scan (the schedule's, or one shard's) that still fails after Lambda's two retries lands
            # here with its event, and the scan-failed alarm fires: no shard is lost silently.
            failed = sqs.Queue(
                self,
                f"Scan{broker.value.capitalize()}Failed",
                queue_name=f"{cat.prefix}-scan-{broker.value}-failed",
                retention_period=Duration.days(14),
                encryption=sqs.QueueEncryption.KMS,
                encryption_master_key=data.key,
                enforce_ssl=True,
                removal_policy=settings.removal_policy,
            )
            scan.function.configure_async_invoke(
                on_failure=destinations.SqsDestination(failed),
                retry_attempts=2,
                max_event_age=Duration.minutes(settings.scan_every_minutes),  # the next tick supersedes it
            )
            acknowledge(
                failed,
                {
                    "AwsSolutions-SQS3": "This queue is the scan's on-failure destination (a dead-letter "
                    "queue for its asynchronous invocations): it has no dead-letter queue of its own."
                },
            )
            acknowledge(scan.function, KMS_DATA_KEY_ACTIONS)
            self.scans[broker.value] = scan
            self.scan_failures[broker.value] = failed

        self.authorizer = NijaFunction(
            self,
            "Authorizer",
            definition=cat.authorizer,
            settings=settings,
            layers=layers,
            environment=cognito_env,
            description="NIJA API authorizer: Cognito JWT to user_id, tier, role",
        )
        data.state.grant_data(self.authorizer.function, write=False)

        # Routes name the API functions (see constructs/api.py). Each function holds every user to
        # their tier's limit itself, in the state table (nija.api.ratelimit), with its data grant below.
        self.api = NijaRestApi(self, "Http", settings=settings, authorizer_handler=self.authorizer.function)
        api_env = {
            "NIJA_AUTH_MODE": "gateway",
            **cognito_env,
            **self.api.verdicts_environment,
            **self.api.cors_environment,
        }

        def api_function(
            construct_id: str,
            definition: FunctionDef,
            description: str,
            environment: dict[str, str] | None = None,
            extra_layers: tuple[str, ...] = (),
        ) -> NijaFunction:
            fn = NijaFunction(
                self,
                construct_id,
                definition=definition,
                settings=settings,
                layers=with_layers(extra_layers),
                environment={**api_env, **(environment or {})},
                description=description,
            )
            data.state.grant_data(fn.function, write=True)
            acknowledge(fn.function, KMS_DATA_KEY_ACTIONS)
            self.api.allow_invoke(definition, fn.function)
            return fn

        self.dashboard_api = api_function(
            "DashboardApi",
            cat.dashboard_api,
            "NIJA dashboard API: sign-up, login, MFA, profile, settings, analytics (FastAPI via Mangum)",
        )
        data.audit.grant_append(self.dashboard_api.function)  # every sign-up, login and MFA attempt
        # A failed sign-up deletes the directory user it made.
        users.pool.grant(self.dashboard_api.function, "cognito-idp:AdminDeleteUser")
        # A password reset ends every session of the account (POST /v1/auth/password/reset); the other
        # recovery calls are authorized by the user's own token or by nobody (no IAM).
        users.pool.grant(self.dashboard_api.function, "cognito-idp:AdminUserGlobalSignOut")
        # DELETE /v1/me erases the account: the same directory user deletion as above, and the
        # user's vault secrets (DeleteSecret only). GET /v1/me/export reads the user's own audit chain
        # with the Query every audit writer holds on the table (no index).
        data.vault.grant_delete(self.dashboard_api.function)
        self.api.grant_flush_verdicts(self.dashboard_api.function)  # ... and its cached authorizations

        self.trading_api = api_function(
            "TradingApi",
            cat.trading_api,
            "NIJA trading API: orders, positions, brokers (FastAPI via Mangum)",
            environment=vault_env,
            # PUT /v1/brokers/{broker}/credentials checks the keys with that broker's client.
            extra_layers=TRADING_API_LAYERS,
        )
        for queue in data.order_queues.queues.values():
            queue.grant_send_messages(self.trading_api.function)
        # PUT/DELETE /v1/brokers/{broker}/credentials: create, replace and delete secrets, never read one;
        # every vault use is audited.
        data.vault.grant_write(self.trading_api.function)
        data.audit.grant_append(self.trading_api.function)

        self.admin_api = api_function(
            "AdminApi",
            cat.admin_api,
            "NIJA admin API: users, tiers, kill switch, audit (FastAPI via Mangum)",
            environment={
                **data.anchors.environment,
                **({"NIJA_ADMIN_ALLOWED_IPS": ",".join(settings.admin_ips)} if settings.admin_ips else {}),
            },
        )
        data.audit.grant_append(self.admin_api.function)  # every admin action
        data.audit.grant_search(self.admin_api.function)  # GET /admin/audit and /admin/audit/verify
        data.anchors.grant_verify(self.admin_api.function)  # ... against the latest anchor
        users.pool.grant(
            self.admin_api.function,
            "cognito-idp:AdminDisableUser",
            "cognito-idp:AdminEnableUser",
            "cognito-idp:AdminUserGlobalSignOut",
            "cognito-idp:AdminGetUser",
            "cognito-idp:AdminDeleteUser",  # POST /admin/users/{id}/erase, as DELETE /v1/me
        )
        # The erasure's other deletion: the user's vault secrets (DeleteSecret only).
        data.vault.grant_delete(self.admin_api.function)
        # Disable, erase and tier change: the user's cached authorizations go at once.
        self.api.grant_flush_verdicts(self.admin_api.function)
        # GET /admin/health: messages waiting and in flight on every order queue and DLQ (no message access).
        for order_queue in data.order_queues.by_broker.values():
            for queue in (order_queue.queue, order_queue.dlq):
                queue.grant(self.admin_api.function, "sqs:GetQueueAttributes", "sqs:GetQueueUrl")

        # Real-time updates: the WebSocket API and the state table's stream processor.
        self.realtime = RealtimeApi(
            self, "Realtime", settings=settings, state=data.state, layers=layers, cognito_env=cognito_env
        )

        # The audit outbox's events, from the state table's stream into their chains.
        self.audit_writer = AuditWriter(
            self,
            "AuditWriter",
            settings=settings,
            state=data.state,
            audit=data.audit,
            key=data.key,
            layers=layers,
        )

        # Hourly, each chain's head into the write-once bucket.
        self.audit_anchors = AuditAnchorJob(
            self, "AuditAnchorJob", settings=settings, audit=data.audit, anchors=data.anchors, layers=layers
        )

        # Time series from the stream processor: Timestream only with `-c timestream=true`.
        self.timeseries = TimeSeriesStore(self, "TimeSeries", catalogue=cat, enabled=timestream_enabled(self))
        self.timeseries.grant_write(self.realtime.processor.function)

        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "WebSocketUrl", value=self.realtime.stage.url)
        CfnOutput(self, "UserPoolId", value=users.pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=users.client.user_pool_client_id)

        # The operations view, last: every NijaFunction above, whoever added it, gets its throttle alarm.
        self.observability = Observability(
            self,
            "Observability",
            settings=settings,
            executors=self.executors,
            scans=self.scans,
            scan_failures=self.scan_failures,
            functions=[c for c in self.node.find_all() if isinstance(c, NijaFunction)],
            dlqs={broker.value: oq.dlq for broker, oq in data.order_queues.by_broker.items()},
            api=self.api.api,
            access_logs=self.api.access_logs,
            trading_api=self.trading_api,
            audit_writer=self.audit_writer,
            audit_anchor=self.audit_anchors.function,
        )
        # Subscribe to the alarms: aws sns subscribe --topic-arn <AlarmTopicArn> --protocol email ...
        CfnOutput(self, "AlarmTopicArn", value=self.observability.topic.topic_arn)
        # The X-Ray sampling rule and the monthly cost budget, whose alerts go to the same topic.
        self.costs = CostControls(
            self,
            "Costs",
            settings=settings,
            topic=self.observability.topic,
            topic_key=self.observability.key,
        )
