"""Static checks on the synthesized app: cfn-lint and cdk-nag (AwsSolutions)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from cdk_synth import Synth

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

# CDK adds DependsOn on the role next to a GetAtt of it on purpose; cfn-lint calls that redundant.
CFN_LINT_IGNORE = "W3005"
ACKNOWLEDGED = cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY


def _cfn_lint() -> str:
    found = shutil.which("cfn-lint", path=str(Path(sys.executable).parent)) or shutil.which("cfn-lint")
    assert found, "cfn-lint is part of the infra extra"
    return found


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_cfn_lint_reports_no_errors(stage: str, request: pytest.FixtureRequest) -> None:
    synth: Synth = request.getfixturevalue(stage)
    templates = synth.template_files
    assert len(templates) == 2
    result = subprocess.run(
        [_cfn_lint(), "--format", "json", "--ignore-checks", CFN_LINT_IGNORE, "--", *map(str, templates)],
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit codes are bit flags (2 error, 4 warning, 8 info); anything else means cfn-lint itself failed.
    assert result.returncode in (0, 2, 4, 6, 8, 10, 12, 14), result.stderr
    findings = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert not errors, json.dumps(errors, indent=2)


def _nag_findings(app: cdk.App) -> list[str]:
    report = AwsSolutionsChecks().validate_scope(app)
    return [
        f"{v.rule_name}: {v.description} at {[r.construct_path for r in v.violating_resources]}"
        for v in report.violations
    ]


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_cdk_nag_aws_solutions_has_no_unacknowledged_findings(
    stage: str, request: pytest.FixtureRequest
) -> None:
    synth: Synth = request.getfixturevalue(stage)
    findings = _nag_findings(synth.nija.app)
    assert not findings, "\n".join(findings)


def test_cdk_nag_is_not_vacuous() -> None:
    """The same check flags an unencrypted queue that accepts plain HTTP and has no DLQ."""
    app = cdk.App()
    stack = cdk.Stack(app, "Canary")
    sqs.Queue(stack, "Bad", encryption=sqs.QueueEncryption.UNENCRYPTED)
    findings = _nag_findings(app)
    assert any(f.startswith("AwsSolutions-SQS4") for f in findings), findings


def test_every_acknowledgment_has_a_reason(dev: Synth) -> None:
    acknowledged = {
        (construct.node.path, rule): reason
        for construct in dev.nija.app.node.find_all()
        for entry in construct.node.metadata
        if entry.type == ACKNOWLEDGED
        for rule, reason in entry.data.items()
    }
    assert acknowledged, "the app acknowledges some AwsSolutions findings"
    short = {k: v for k, v in acknowledged.items() if len(str(v).split()) < 8}
    assert not short, short
