"""Compute and edge: the common layer, Cognito, the executors, the authorizer and the trading API."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from infra_cdk.constructs.api import TradingRestApi
from infra_cdk.constructs.functions import CommonLayer, NijaFunction
from infra_cdk.constructs.nag import KMS_DATA_KEY_ACTIONS, acknowledge
from infra_cdk.constructs.user_pool import UserPool
from infra_cdk.stacks.data import DataStack
from infra_cdk.stage import StageSettings

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
        layers = [CommonLayer(self, "CommonLayer", settings=settings).layer]
        users = UserPool(self, "Users", settings=settings)
        cognito_env = {
            "NIJA_USER_POOL_ID": users.pool.user_pool_id,
            "NIJA_USER_POOL_CLIENT_ID": users.client.user_pool_client_id,
        }

        self.executors: dict[str, NijaFunction] = {}
        for broker, order_queue in data.order_queues.by_broker.items():
            executor = NijaFunction(
                self,
                f"Executor{broker.value.capitalize()}",
                definition=cat.executor(broker),
                settings=settings,
                layers=layers,
                environment={"NIJA_BROKER": broker.value},
                description=f"NIJA executor for {broker.value} orders",
            )
            data.state.grant_data(executor.function, write=True)
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

        self.trading_api = NijaFunction(
            self,
            "TradingApi",
            definition=cat.trading_api,
            settings=settings,
            layers=layers,
            environment={"NIJA_AUTH_MODE": "gateway", **cognito_env},
            description="NIJA trading API (FastAPI via Mangum)",
        )
        data.state.grant_data(self.trading_api.function, write=True)
        for queue in data.order_queues.queues.values():
            queue.grant_send_messages(self.trading_api.function)
        acknowledge(self.trading_api.function, KMS_DATA_KEY_ACTIONS)

        self.api = TradingRestApi(
            self,
            "Http",
            settings=settings,
            handler=self.trading_api.function,
            authorizer_handler=self.authorizer.function,
        )

        CfnOutput(self, "ApiUrl", value=self.api.url)
        CfnOutput(self, "UserPoolId", value=users.pool.user_pool_id)
        CfnOutput(self, "UserPoolClientId", value=users.client.user_pool_client_id)
