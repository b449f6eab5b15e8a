"""Per-stage deployment settings: what differs between dev and prod besides names.

Names and shapes live in nija.catalogue; this module only holds operational knobs.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from aws_cdk import Environment, RemovalPolicy
from aws_cdk import aws_logs as logs

from nija.catalogue import Catalogue, catalogue
from nija.cors import LOCAL_DEV_ORIGINS, parse_origins
from nija.logic.admin_access import parse_networks

REPO_ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = REPO_ROOT / "cdk.json"
FUNCTIONS_DIR = REPO_ROOT / "functions"

DEFAULT_STAGE = "dev"
# Offline synth (tests, `make synth` without credentials) still needs a concrete environment.
FALLBACK_ACCOUNT = "000000000000"
FALLBACK_REGION = "us-east-1"
_STAGE_NAME = re.compile(r"[a-z][a-z0-9-]{0,15}")


@dataclass(frozen=True)
class StageSettings:
    stage: str
    removal_policy: RemovalPolicy
    deletion_protection: bool
    log_retention: logs.RetentionDays
    log_level: str
    # Requests per second, the whole stage, all callers together: the backstop behind WAF's limits on
    # each address (catalogue: sign_in_ip_limit, ip_limit), for a flood from many addresses at once.
    api_rate_limit: int
    api_burst_limit: int
    scan_every_minutes: int = 5  # the strategy scan's schedule (EventBridge rate)
    # How long S3 Object Lock (compliance mode) keeps each audit anchor: nobody can remove one sooner.
    # A short one outside prod, where a stack is torn down and its anchors should not outlive it long.
    audit_anchor_retention_days: int = 1
    # The one web origin (scheme://host[:port]) whose browser pages may call the API: the app's web
    # build where it is hosted. API Gateway's own refusals can name only one. None: no CORS at all.
    web_origin: str | None = None
    # Cognito's email (sign-up codes, password resets) through SES from this address, verified in SES
    # (the address, or `email_domain` when the domain is the verified identity) and out of the SES
    # sandbox; None: Cognito's own sender, about 50 messages a day (a dev stage). prod requires one.
    email_from: str | None = None
    email_domain: str | None = None
    # AWS Budgets: the stage's monthly cost budget, tagged stage=<stage>; its alerts go to the alarm
    # topic and, when set, to this address.
    monthly_budget_usd: int = 50
    budget_email: str | None = None
    # The networks (addresses or CIDR blocks) the admin API answers; empty: any. Admins need TOTP and
    # short sessions either way (nija.logic.admin_access, nija.logic.identity).
    admin_ips: tuple[str, ...] = ()

    @property
    def catalogue(self) -> Catalogue:
        return catalogue(self.stage)

    @property
    def is_prod(self) -> bool:
        return self.stage == "prod"


_EMAIL = re.compile(r"[^@\s]+@([a-z0-9-]+\.)+[a-z]{2,}", re.IGNORECASE)


def settings_for(
    stage: str,
    web_origin: str | None = None,
    *,
    email_from: str | None = None,
    email_domain: str | None = None,
    monthly_budget_usd: str | int | None = None,
    budget_email: str | None = None,
    admin_ips: str | None = None,
) -> StageSettings:
    """A stage's settings, with what the deploy command line gives (``-c name=value``) in place of its
    defaults: ``web_origin`` (https://app.example.com; an empty string removes it), ``ses_from`` and
    ``ses_domain`` (the sender), ``budget_usd`` and ``budget_email`` (the budget), ``admin_ips``
    (comma-separated addresses or CIDR blocks the admin API answers)."""
    settings = _defaults(stage)
    if web_origin is not None:
        origins = parse_origins(web_origin)
        if len(origins) > 1:
            raise ValueError(f"web_origin names one origin, got {web_origin!r}")
        settings = replace(settings, web_origin=origins[0] if origins else None)
    for name, address in (("ses_from", email_from), ("budget_email", budget_email)):
        if address and not _EMAIL.fullmatch(address):
            raise ValueError(f"{name} is an email address, got {address!r}")
    if email_domain and (not email_from or not email_from.lower().endswith("@" + email_domain.lower())):
        raise ValueError(f"ses_domain {email_domain!r} is the domain of ses_from, got {email_from!r}")
    if email_from:
        settings = replace(settings, email_from=email_from, email_domain=email_domain or None)
    if budget_email:
        settings = replace(settings, budget_email=budget_email)
    if monthly_budget_usd not in (None, ""):
        amount = int(monthly_budget_usd)
        if amount <= 0:
            raise ValueError(f"budget_usd is a positive number of dollars, got {monthly_budget_usd!r}")
        settings = replace(settings, monthly_budget_usd=amount)
    if admin_ips:
        settings = replace(settings, admin_ips=tuple(str(n) for n in parse_networks(admin_ips)))
    return settings


def _defaults(stage: str) -> StageSettings:
    if not _STAGE_NAME.fullmatch(stage):
        raise ValueError(f"stage must match {_STAGE_NAME.pattern}, got {stage!r}")
    if stage == "prod":
        return StageSettings(
            stage=stage,
            removal_policy=RemovalPolicy.RETAIN,
            deletion_protection=True,
            log_retention=logs.RetentionDays.ONE_YEAR,
            log_level="INFO",
            api_rate_limit=500,
            api_burst_limit=1000,
            audit_anchor_retention_days=2190,  # six years, as SEC rule 17a-4 keeps broker records
            # About $0.50 a user-month (issue 15's target) for 1,000 users; raise it with the users.
            monthly_budget_usd=500,
        )
    return StageSettings(
        stage=stage,
        removal_policy=RemovalPolicy.DESTROY,
        deletion_protection=False,
        log_retention=logs.RetentionDays.ONE_MONTH,
        log_level="DEBUG",
        api_rate_limit=50,
        api_burst_limit=100,
        # A developer's `npx expo start --web` may call a dev stage.
        web_origin=LOCAL_DEV_ORIGINS[0],
    )


def environment() -> Environment:
    """The CLI sets CDK_DEFAULT_*; without credentials fall back to a placeholder account."""
    return Environment(
        account=os.environ.get("CDK_DEFAULT_ACCOUNT") or FALLBACK_ACCOUNT,
        region=os.environ.get("CDK_DEFAULT_REGION") or os.environ.get("AWS_REGION") or FALLBACK_REGION,
    )


def cdk_json_context(**overrides: object) -> dict[str, object]:
    """cdk.json's context (feature flags, stage default), which the CLI passes but a bare App() lacks."""
    context: dict[str, object] = json.loads(CDK_JSON.read_text())["context"]
    return {**context, **overrides}
