"""Real-time updates: the WebSocket API (API Gateway v2) with the realtime function behind $connect,
$disconnect and $default, and the stream processor on the state table's stream pushing each user's
events to that user's connections through the API's Management API.

No WAF: a web ACL can guard a REST API, not a WebSocket API (constructs/waf.py guards the REST API).
The stage throttle (WS_RATE_LIMIT) bounds the messages, and $connect verifies a token first."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Aws, Duration, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from infra_cdk.constructs.api import EXECUTION_LOG_LEVEL, execution_log_group
from infra_cdk.constructs.functions import NijaFunction
from infra_cdk.constructs.nag import KMS_DATA_KEY_ACTIONS, acknowledge
from infra_cdk.constructs.state_table import StateTable, stream_key_rules
from infra_cdk.stage import StageSettings
from nija.adapters.dynamo.stream_records import PROCESSOR_FILTER

STREAM_BATCH_SIZE = 100
STREAM_RETRIES = 3  # then the records are skipped: a missed push is healed by the client's next GET
STREAM_MAX_AGE = Duration.minutes(5)  # an older event is no longer "real time"
CONNECTION_VERBS = ("POST", "DELETE")  # the Management API calls the stream processor makes
WS_RATE_LIMIT, WS_BURST_LIMIT = 100, 200  # messages a second over all connections (only pings come in)

_ACCESS_LOG = json.dumps(
    {
        "request_id": "$context.requestId",
        "connection_id": "$context.connectionId",
        "route": "$context.routeKey",
        "event": "$context.eventType",
        "status": "$context.status",
        "ip": "$context.identity.sourceIp",
        "integration_latency_ms": "$context.integrationLatency",
        "error": "$context.error.message",
        "integration_error": "$context.integrationErrorMessage",
    }
)


def stream_filters() -> list[Mapping[str, object]]:
    """Only the items the processor reads invoke it (nija.adapters.dynamo.stream_records.streamed):
    one filter, a user's partition and the sort key of any kind it reads."""
    return [lambda_.FilterCriteria.filter({"dynamodb": {"Keys": stream_key_rules(PROCESSOR_FILTER)}})]


class RealtimeApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        state: StateTable,
        layers: list[lambda_.ILayerVersion],
        cognito_env: Mapping[str, str],
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.connections = NijaFunction(
            self,
            "Realtime",
            definition=cat.realtime,
            settings=settings,
            layers=layers,
            environment=dict(cognito_env),
            description="NIJA WebSocket $connect (token check), $disconnect and $default",
        )
        # Connections are state-table items; $connect reads the user's profile (an active user).
        state.grant_data(self.connections.function, write=True)
        acknowledge(self.connections.function, KMS_DATA_KEY_ACTIONS)

        def integration(name: str) -> WebSocketLambdaIntegration:
            # Not "Default": CDK leaves a "Default" construct id out of logical ids, and the integration
            # would take its route's.
            return WebSocketLambdaIntegration(f"{name}Integration", self.connections.function)

        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=cat.websocket_api_name,
            description=f"NIJA {settings.stage} real-time updates",
            connect_route_options=apigwv2.WebSocketRouteOptions(integration=integration("Connect")),
            disconnect_route_options=apigwv2.WebSocketRouteOptions(integration=integration("Disconnect")),
            default_route_options=apigwv2.WebSocketRouteOptions(
                integration=integration("Default"), return_response=True
            ),
        )
        self.access_logs = logs.LogGroup(
            self, "AccessLogs", retention=settings.log_retention, removal_policy=settings.removal_policy
        )
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=cat.websocket_stage,
            auto_deploy=True,
            throttle=apigwv2.ThrottleSettings(rate_limit=WS_RATE_LIMIT, burst_limit=WS_BURST_LIMIT),
        )
        cfn_stage = self.stage.node.default_child
        assert isinstance(cfn_stage, apigwv2.CfnStage)
        cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=self.access_logs.log_group_arn, format=_ACCESS_LOG
        )
        # As the REST API's stage: errors only in the execution log, the stage's own metrics only.
        cfn_stage.default_route_settings = apigwv2.CfnStage.RouteSettingsProperty(
            data_trace_enabled=False,  # frames carry tokens on $connect
            detailed_metrics_enabled=False,
            logging_level=EXECUTION_LOG_LEVEL.value,
            throttling_rate_limit=WS_RATE_LIMIT,
            throttling_burst_limit=WS_BURST_LIMIT,
        )
        self.execution_logs = execution_log_group(self, self.api.api_id, settings)
        self.stage.node.add_dependency(self.execution_logs)
        for route in self.api.node.find_all():
            if isinstance(route, apigwv2.CfnRoute):
                acknowledge(
                    route,
                    {
                        "AwsSolutions-APIG4": "$connect verifies the Cognito access token in the realtime "
                        "function with the REST authorizer's code (TokenVerifier): the token may come in "
                        "the Authorization header or a token query parameter (browsers cannot set headers "
                        "on a WebSocket), which one Lambda authorizer's identity sources cannot express. "
                        "$disconnect and $default only reach a connection $connect accepted.",
                    },
                )

        self.processor = NijaFunction(
            self,
            "StreamProcessor",
            definition=cat.stream_processor,
            settings=settings,
            layers=layers,
            environment={"NIJA_WEBSOCKET_ENDPOINT": self.stage.callback_url},
            description="NIJA state table stream: user events to that user's WebSocket connections",
        )
        # Reads the user's connections, deletes the ones API Gateway reports gone.
        state.grant_data(self.processor.function, write=True)
        self.processor.function.add_event_source(
            sources.DynamoEventSource(
                state.table,
                starting_position=lambda_.StartingPosition.LATEST,
                batch_size=STREAM_BATCH_SIZE,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                retry_attempts=STREAM_RETRIES,
                max_record_age=STREAM_MAX_AGE,
                filters=stream_filters(),
            )
        )
        # POST @connections/{id} (a push) and DELETE (closing a disabled or erased account's sockets) on
        # this API's stage only; not GET: nothing here reads a connection's details.
        api_id = self.api.api_id
        connections = (
            f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:{api_id}/{cat.websocket_stage}"
        )
        self.processor.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["execute-api:ManageConnections"],
                resources=[f"{connections}/{verb}/@connections/*" for verb in CONNECTION_VERBS],
            )
        )
        stack = Stack.of(self)
        api_logical_id = stack.resolve(stack.get_logical_id(self.api.node.default_child))  # type: ignore[arg-type]
        acknowledge(
            self.processor.function,
            {
                **KMS_DATA_KEY_ACTIONS,
                **{
                    "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
                    f"<AWS::AccountId>:<{api_logical_id}>/{cat.websocket_stage}/{verb}/@connections/*]": (
                        f"{verb} @connections/{{id}}: connection ids are made by API Gateway per connection, "
                        f"so {verb} is on @connections/* of this one API's one stage, and nothing else."
                    )
                    for verb in CONNECTION_VERBS
                },
            },
        )
