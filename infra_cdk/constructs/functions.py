"""The layers (common, and each broker's client library) and the one way every NIJA Lambda function
is built."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import AssetHashType, Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra_cdk.constructs.nag import LAMBDA_BASIC_EXECUTION, XRAY_WRITE, acknowledge
from infra_cdk.stage import FUNCTIONS_DIR, StageSettings
from layers.build import build as build_layer
from layers.recipes import EXECUTOR_LAYERS, LAYERS
from nija.catalogue import FunctionDef
from nija.domain.models import BrokerName

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
HANDLER = "handler.handler"
METRICS_NAMESPACE = "NIJA"
ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", ".gitkeep", "tests"]


def broker_layers(broker: BrokerName) -> tuple[str, ...]:
    """The layers the executor for ``broker`` has besides common: its client library, and only
    its exchange of ccxt (layers/recipes.py). The paper broker needs none."""
    return EXECUTOR_LAYERS[broker.value]  # a broker without a recipe fails the synth here


class NijaLayer(Construct):
    """A layer from layers/build.py, built for Lambda (arm64, python3.12)."""

    def __init__(self, scope: Construct, construct_id: str, *, name: str, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.name = name
        folder, digest = build_layer(name)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            layer_version_name=f"{settings.catalogue.prefix}-{name}",
            description=LAYERS[name].description,
            # The build script already hashed its inputs; this spares the CDK re-hashing the folder per synth.
            code=lambda_.Code.from_asset(
                str(folder), asset_hash=digest, asset_hash_type=AssetHashType.CUSTOM
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
        )


class CommonLayer(NijaLayer):
    """Dependencies every function imports, plus the nija package (see layers/recipes.py)."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id, name="common", settings=settings)


class NijaFunction(Construct):
    """A function from ``functions/<key>``: arm64, python3.12, X-Ray, its own retained-per-stage log group."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: FunctionDef,
        settings: StageSettings,
        layers: list[lambda_.ILayerVersion],
        environment: Mapping[str, str] | None = None,
        description: str = "",
    ) -> None:
        super().__init__(scope, construct_id)
        self.definition = definition
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{definition.name}",
            retention=settings.log_retention,
            removal_policy=settings.removal_policy,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=definition.name,
            description=description or f"NIJA {definition.key}",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(FUNCTIONS_DIR / definition.key), exclude=ASSET_EXCLUDE),
            memory_size=definition.memory_mb,
            timeout=Duration.seconds(definition.timeout_s),
            layers=layers,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            environment={
                "NIJA_STAGE": settings.stage,
                "POWERTOOLS_SERVICE_NAME": definition.key,
                "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
                "LOG_LEVEL": settings.log_level,
                **(environment or {}),
            },
        )
        acknowledge(
            self.function,
            {
                LAMBDA_BASIC_EXECUTION: "The AWS-managed basic execution role only allows writing this "
                "function's CloudWatch logs; a hand-written copy would add nothing.",
                XRAY_WRITE: "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level "
                "permissions, so tracing needs Resource '*'.",
                "AwsSolutions-L1": f"The platform targets {RUNTIME.name} on purpose: the layers are built "
                "for it and every dependency is pinned and tested against it.",
            },
        )
