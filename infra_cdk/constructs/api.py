"""The REST API in front of trading_api, with the Lambda REQUEST authorizer.

Routing (explicit resources win over a sibling greedy ``{proxy+}`` in API Gateway):

    GET  /health                  public
    ANY  /v1/auth/{proxy+}        public: signup, login, refresh (Cognito checks the credentials)
    ANY  /v1/auth/mfa/{proxy+}    public: mfa/verify answers a login challenge
    POST /v1/auth/mfa/setup       authorizer: TOTP set-up acts on the signed-in user
    POST /v1/auth/mfa/enable      authorizer
    ANY  /v1/{proxy+}             authorizer: everything else
"""

from __future__ import annotations

import json

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.constructs.nag import acknowledge
from infra_cdk.stage import StageSettings

AUTHORIZER_CACHE_TTL = Duration.seconds(60)
USER_MFA_ROUTES = ("setup", "enable")
PUBLIC_REASON = "Public by design: liveness, and the Cognito sign-up/login/refresh/MFA-challenge calls that "
PUBLIC_REASON += "happen before a caller has a token."


def _access_log_format() -> apigw.AccessLogFormat:
    F = apigw.AccessLogField
    return apigw.AccessLogFormat.custom(
        json.dumps(
            {
                "request_id": F.context_request_id(),
                "ip": F.context_identity_source_ip(),
                "method": F.context_http_method(),
                "path": F.context_path(),
                "resource": F.context_resource_path(),
                "status": F.context_status(),
                "latency_ms": F.context_response_latency(),
                "user_id": F.context_authorizer("user_id"),
                "tier": F.context_authorizer("tier"),
                "authorizer_error": F.context_authorizer_error(),
                "integration_error": F.context_integration_error_message(),
                "xray_trace_id": F.context_xray_trace_id(),
            }
        )
    )


class TradingRestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        handler: lambda_.IFunction,
        authorizer_handler: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"{cat.prefix}-api",
            description=f"NIJA {settings.stage} HTTP API v1",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level CloudWatch role; keep it when a stage goes.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage,
                tracing_enabled=True,
                metrics_enabled=True,
                logging_level=apigw.MethodLoggingLevel.INFO,
                data_trace_enabled=False,  # bodies carry credentials and tokens
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=_access_log_format(),
                throttling_rate_limit=settings.api_rate_limit,
                throttling_burst_limit=settings.api_burst_limit,
            ),
        )
        # The construct's own CfnOutput has a hashed name; the stack exports a stable "ApiUrl" instead.
        self.api.node.try_remove_child("Endpoint")
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            authorizer_name=f"{cat.prefix}-authorizer",
            handler=authorizer_handler,
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=AUTHORIZER_CACHE_TTL,
        )
        # One invoke permission for the whole API instead of one per method.
        integration = apigw.LambdaIntegration(handler, proxy=True, scope_permission_to_method=False)
        public = {"authorization_type": apigw.AuthorizationType.NONE}
        private = {"authorizer": self.authorizer, "authorization_type": apigw.AuthorizationType.CUSTOM}

        public_methods = [self.api.root.add_resource("health").add_method("GET", integration, **public)]
        v1 = self.api.root.add_resource("v1")
        v1.add_resource("{proxy+}").add_method("ANY", integration, **private)
        auth = v1.add_resource("auth")
        public_methods.append(auth.add_resource("{proxy+}").add_method("ANY", integration, **public))
        mfa = auth.add_resource("mfa")
        public_methods.append(mfa.add_resource("{proxy+}").add_method("ANY", integration, **public))
        for route in USER_MFA_ROUTES:
            mfa.add_resource(route).add_method("POST", integration, **private)

        for method in public_methods:
            acknowledge(method, {"AwsSolutions-APIG4": PUBLIC_REASON, "AwsSolutions-COG4": PUBLIC_REASON})
        acknowledge(
            self.api,
            {
                "AwsSolutions-COG4": "Protected routes use a Lambda REQUEST authorizer that verifies the "
                "Cognito JWT and adds tier and role from the state table, which a Cognito authorizer "
                "cannot do.",
                "AwsSolutions-APIG2": "Proxy integration: FastAPI validates every request against its "
                "pydantic models and answers 422; a gateway validator would duplicate them.",
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AmazonAPIGatewayPushToCloudWatchLogs]": "The AWS-managed policy is the documented one "
                "for API Gateway's account-level logging role; it only writes CloudWatch Logs.",
                "AwsSolutions-APIG3": "No WAF yet: stage throttling and per-tier limits apply; a WebACL is "
                "planned with the production custom domain.",
            },
        )

    @property
    def url(self) -> str:
        return self.api.url
