"""The REST API in front of dashboard_api, trading_api and admin_api, with the Lambda REQUEST authorizer.

Every route is an explicit resource, from ``nija.api.routes.ROUTES`` (the one table the local stack's
token check and the OpenAPI document read too); a ``{proxy+}`` only where a whole subtree belongs to one
function. Public routes are the liveness check, the Cognito calls made before a caller has a token and
the admin console's page and script; everything else goes through the authorizer. Each user's tier
limit is held by the API functions themselves (nija.api.ratelimit: no API keys, no usage plans, so no
10,000-keys quota). Each address is limited by AWS WAF in front of the stage (constructs/waf.py: the
sign-in routes, and everything); the stage throttle stays as the backstop for all callers together.

The integrations name the functions by their catalogue name instead of referencing them (first because
the functions' environment carried the tier usage plans' ids, which depended on the stage, which closed
a cycle through the deployment and the methods). API Gateway resolves the function at invocation;
``allow_invoke`` grants it the permission.
"""

from __future__ import annotations

import json

import jsii
from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct, IValidation

from infra_cdk.constructs.nag import acknowledge
from infra_cdk.constructs.waf import ApiFirewall
from infra_cdk.stage import StageSettings
from nija import cors, security_headers
from nija.api.routes import ROUTES
from nija.catalogue import FunctionDef

PUBLIC_REASON = "Public by design: liveness, the Cognito sign-up/confirm/login/refresh/MFA-challenge "
PUBLIC_REASON += "calls that happen before a caller has a token, and the admin console's page and script, "
PUBLIC_REASON += "which hold no data (the page signs the admin in and calls the admin routes with the token)."
PREFLIGHT_REASON = "CORS preflight: a browser sends it without credentials; API Gateway answers it "
PREFLIGHT_REASON += (
    "itself (a mock integration naming the stage's one web origin) and nothing reaches a function."
)
# A caller throttled by the stage (all callers together) may retry after this many seconds.
RETRY_AFTER_S = 1
# API Gateway's execution log: errors only (INFO wrote several lines per request; the access log already
# has one line per request with its status, latency, user and errors). Per-method ("detailed")
# metrics stay off: API Gateway publishes the stage's Count, Latency, 4XXError and 5XXError without
# them, and each method's would be custom metrics billed per method.
EXECUTION_LOG_LEVEL = apigw.MethodLoggingLevel.ERROR


def execution_log_group(scope: Construct, api_id: str, settings: StageSettings) -> logs.LogGroup:
    """The log group API Gateway writes a stage's execution log to. API Gateway creates it on the first
    line, without a retention (kept forever) unless it exists: so it is made here, first, with the
    stage's retention; the stage depends on it."""
    return logs.LogGroup(
        scope,
        "ExecutionLogs",
        log_group_name=f"API-Gateway-Execution-Logs_{api_id}/{settings.stage}",
        retention=settings.log_retention,
        removal_policy=settings.removal_policy,
    )


# API Gateway's own refusals, in the API's error shape ({"error": {"code", "message"}}) with the headers
# every response of the functions carries (nija.api.responses). The two defaults cover every other type
# (a Lambda timeout or failure, an authorizer failure, a body over API Gateway's 10 MB, ...), each
# keeping its own status (None).
_GATEWAY_ERRORS: dict[apigw.ResponseType, tuple[str | None, str]] = {
    apigw.ResponseType.THROTTLED: ("429", "rate_limited"),
    apigw.ResponseType.UNAUTHORIZED: ("401", "unauthenticated"),
    apigw.ResponseType.ACCESS_DENIED: ("403", "forbidden"),
    apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN: ("404", "not_found"),  # no such route or method
    apigw.ResponseType.REQUEST_TOO_LARGE: ("413", "payload_too_large"),
    apigw.ResponseType.DEFAULT_4_XX: (None, "bad_request"),
    apigw.ResponseType.DEFAULT_5_XX: (None, "internal_error"),
}


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


def _preflight(web_origin: str | None) -> apigw.CorsOptions | None:
    """Browsers' preflights answered by API Gateway itself (an OPTIONS mock on every resource, no
    authorizer: a preflight carries no token); the functions add the headers to the answers."""
    if not web_origin:
        return None
    return apigw.CorsOptions(
        allow_origins=[web_origin],
        allow_methods=list(cors.ALLOWED_METHODS),
        allow_headers=list(cors.ALLOWED_HEADERS),
        allow_credentials=cors.ALLOW_CREDENTIALS,
        max_age=Duration.seconds(cors.MAX_AGE_S),
        status_code=204,
    )


def refusal_headers(settings: StageSettings) -> dict[str, str]:
    """The headers of a refusal that no function answers (API Gateway's, WAF's): those every response
    of the functions carries (nija.api.responses), and the web origin's CORS headers, so that the app
    can read a 401 (and refresh) or a 429's wait."""
    headers = {
        "Cache-Control": "no-store",
        "Strict-Transport-Security": security_headers.HSTS,
        **security_headers.ALWAYS,
    }
    if settings.web_origin:
        headers["Access-Control-Allow-Origin"] = settings.web_origin
        headers["Access-Control-Expose-Headers"] = ",".join(cors.EXPOSED_HEADERS)
        if cors.ALLOW_CREDENTIALS:  # the web client's refresh cookie
            headers["Access-Control-Allow-Credentials"] = "true"
        headers["Vary"] = "Origin"
    return headers


class NijaRestApi(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        authorizer_handler: lambda_.IFunction,
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.settings = settings
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        self.api = apigw.RestApi(
            self,
            "Api",
            rest_api_name=cat.rest_api_name,
            description=f"NIJA {settings.stage} HTTP API v1",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging needs the account-level CloudWatch role; keep it when a stage goes.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=settings.stage,
                tracing_enabled=True,  # sampled by the stage's X-Ray rule (constructs/costs.py)
                metrics_enabled=False,
                logging_level=EXECUTION_LOG_LEVEL,
                data_trace_enabled=False,  # bodies carry credentials and tokens
                access_log_destination=apigw.LogGroupLogDestination(self.access_logs),
                access_log_format=_access_log_format(),
                throttling_rate_limit=settings.api_rate_limit,
                throttling_burst_limit=settings.api_burst_limit,
            ),
            default_cors_preflight_options=_preflight(settings.web_origin),
        )
        # The construct's own CfnOutput has a hashed name; the stack exports a stable "ApiUrl" instead.
        self.api.node.try_remove_child("Endpoint")
        self.execution_logs = execution_log_group(self, self.api.rest_api_id, settings)
        self.api.deployment_stage.node.add_dependency(self.execution_logs)
        self.authorizer = apigw.RequestAuthorizer(
            self,
            "Authorizer",
            authorizer_name=f"{cat.prefix}-authorizer",
            handler=authorizer_handler,
            identity_sources=[apigw.IdentitySource.header("Authorization")],
            results_cache_ttl=Duration.seconds(cat.authorizer_cache_seconds),
        )

        self.functions: dict[str, FunctionDef] = {d.key: d for d in cat.api_functions}
        integrations = {key: self._integration(d) for key, d in self.functions.items()}
        public = {"authorization_type": apigw.AuthorizationType.NONE}
        private = {
            "authorizer": self.authorizer,
            "authorization_type": apigw.AuthorizationType.CUSTOM,
        }
        public_methods: list[apigw.Method] = []
        for route in ROUTES:
            resource = self.api.root.resource_for_path(route.path)
            for method in route.methods:
                added = resource.add_method(
                    method, integrations[route.function], **(public if route.public else private)
                )
                if route.public:
                    public_methods.append(added)
        self._invokable: set[str] = set()
        self.node.add_validation(_EveryRoutedFunctionInvokable(self))

        self.firewall = ApiFirewall(
            self,
            "Firewall",
            settings=settings,
            stage=self.api.deployment_stage,
            refusal_headers=refusal_headers(settings),
        )

        for response_type, (status, code) in _GATEWAY_ERRORS.items():
            headers = {"Content-Type": "'application/json'"}
            headers |= {name: f"'{value}'" for name, value in refusal_headers(settings).items()}
            if status == "429":
                headers["Retry-After"] = f"'{RETRY_AFTER_S}'"
            self.api.add_gateway_response(
                f"{code.title().replace('_', '')}{response_type.response_type}",
                type=response_type,
                status_code=status,
                response_headers=headers,
                templates={
                    "application/json": f'{{"error": {{"code": "{code}", '
                    '"message": $context.error.messageString}}'
                },
            )

        for method in public_methods:
            acknowledge(method, {"AwsSolutions-APIG4": PUBLIC_REASON, "AwsSolutions-COG4": PUBLIC_REASON})
        for method in self.api.methods:
            if method.http_method == "OPTIONS":
                acknowledge(
                    method, {"AwsSolutions-APIG4": PREFLIGHT_REASON, "AwsSolutions-COG4": PREFLIGHT_REASON}
                )
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
            },
        )

    def _integration(self, definition: FunctionDef) -> apigw.LambdaIntegration:
        """A proxy integration that names the function (see the module docstring) instead of referencing it."""
        arn = Stack.of(self).format_arn(
            service="lambda",
            resource="function",
            resource_name=definition.name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        # Not "same environment": the integration must not add a permission of its own, which would not
        # wait for the function; allow_invoke adds one on the function itself.
        target = lambda_.Function.from_function_attributes(
            self,
            f"{definition.key.title().replace('_', '')}Target",
            function_arn=arn,
            same_environment=False,
            skip_permissions=True,
        )
        return apigw.LambdaIntegration(target, proxy=True, scope_permission_to_method=False)

    def allow_invoke(self, definition: FunctionDef, function: lambda_.IFunction) -> None:
        """Let this API's stage invoke ``function``, which the routes name as ``definition.name``."""
        if self.functions.get(definition.key) != definition:
            raise ValueError(f"{definition.key} is not a function of this API")
        function.add_permission(
            "ApiInvoke",
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            source_arn=self.api.arn_for_execute_api(stage=self.settings.stage),
        )
        self._invokable.add(definition.key)

    @property
    def verdicts_environment(self) -> dict[str, str]:
        """What a function needs to flush this stage's authorizer cache (nija.adapters.apigateway_verdicts)."""
        return {"NIJA_REST_API_ID": self.api.rest_api_id}

    @property
    def cors_environment(self) -> dict[str, str]:
        """The web origin the functions' answers name (nija.config cors_origins), as the preflight does."""
        return {"NIJA_CORS_ORIGINS": self.settings.web_origin} if self.settings.web_origin else {}

    def grant_flush_verdicts(self, grantee: iam.IGrantable) -> None:
        """FlushStageAuthorizersCache on this stage only: an account disabled, erased or moved to
        another tier is authorized afresh at its next request, not when its cached verdict expires."""
        path = f"/restapis/{self.api.rest_api_id}/stages/{self.settings.stage}/cache/authorizers"
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["apigateway:DELETE"],
            resource_arns=[f"arn:{Aws.PARTITION}:apigateway:{Aws.REGION}::{path}"],
        )

    @property
    def missing_invoke_permissions(self) -> set[str]:
        return {route.function for route in ROUTES} - self._invokable

    @property
    def url(self) -> str:
        return self.api.url


@jsii.implements(IValidation)
class _EveryRoutedFunctionInvokable:
    """Synth fails if a routed function was never given to ``allow_invoke`` (every call would be a 500)."""

    def __init__(self, api: NijaRestApi) -> None:
        self.api = api

    def validate(self) -> list[str]:
        missing = self.api.missing_invoke_permissions
        return [f"no invoke permission for {sorted(missing)}: call allow_invoke"] if missing else []
