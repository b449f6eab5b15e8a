"""The NIJA CDK app. Run from the repo root: ``python -m infra_cdk.app`` (cdk.json does this).

``-c stage=prod`` picks the stage (default dev); names come from ``nija.catalogue.catalogue(stage)``.
``-c web_origin=https://app.example.com`` names the web origin allowed to call the API (nija.cors).
``-c ses_from=no-reply@example.com`` (and ``-c ses_domain=example.com`` when the domain is the verified
SES identity) sends the user pool's email through SES; ``-c budget_usd=800 -c budget_email=ops@...``
set the monthly cost budget and who hears of it (infra_cdk.stage.settings_for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra_cdk.stacks.data import DataStack
from infra_cdk.stacks.service import ServiceStack
from infra_cdk.stage import DEFAULT_STAGE, environment, settings_for


@dataclass(frozen=True)
class NijaApp:
    app: cdk.App
    data: DataStack
    service: ServiceStack


def build_app(
    *, context: dict[str, Any] | None = None, outdir: str | None = None, nag: bool = True
) -> NijaApp:
    """Compose the app; tests call this with their own outdir and stage context."""
    app = cdk.App(context=context, outdir=outdir)
    stage = app.node.try_get_context("stage") or DEFAULT_STAGE
    context = app.node.try_get_context
    settings = settings_for(
        stage,
        web_origin=context("web_origin"),
        email_from=context("ses_from"),
        email_domain=context("ses_domain"),
        monthly_budget_usd=context("budget_usd"),
        budget_email=context("budget_email"),
        admin_ips=context("admin_ips"),
    )
    prefix = settings.catalogue.prefix
    env = environment()
    data = DataStack(
        app,
        f"{prefix}-data",
        settings=settings,
        env=env,
        description=f"NIJA {stage}: data and vault keys, state and audit tables, order queues",
        termination_protection=settings.is_prod,
    )
    service = ServiceStack(
        app,
        f"{prefix}-service",
        settings=settings,
        data=data,
        env=env,
        description=f"NIJA {stage}: Cognito, functions, REST API",
    )
    cdk.Tags.of(app).add("project", "nija")
    cdk.Tags.of(app).add("stage", stage)
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return NijaApp(app=app, data=data, service=service)


def main() -> None:
    build_app().app.synth()


if __name__ == "__main__":
    main()
