"""Synthesis of the CDK app for the infrastructure tests, and helpers to read its templates."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # infra_cdk and layers are imported from the repo root
    sys.path.insert(0, str(ROOT))

# jsii prints a banner per process about this machine's Node 20; the report says so once instead.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk.assertions import Template  # noqa: E402

from infra_cdk.app import NijaApp, build_app  # noqa: E402
from infra_cdk.stage import cdk_json_context  # noqa: E402
from nija.catalogue import Catalogue, catalogue  # noqa: E402


@dataclass(frozen=True)
class Synth:
    stage: str
    nija: NijaApp
    outdir: Path
    catalogue: Catalogue
    data: Template
    service: Template

    @property
    def data_json(self) -> dict[str, Any]:
        return self.data.to_json()

    @property
    def service_json(self) -> dict[str, Any]:
        return self.service.to_json()

    @property
    def template_files(self) -> list[Path]:
        return sorted(self.outdir.glob("*.template.json"))


# What an operator passes to deploy prod (README: Deploying): prod refuses to synthesize without a
# sender for its email. dev keeps its defaults (Cognito's sender, the alarm topic only).
PROD_CONTEXT = {
    "ses_from": "no-reply@nija.example.com",
    "budget_email": "ops@nija.example.com",
    "admin_ips": "203.0.113.0/24, 198.51.100.7",
}


def synthesize(stage: str, outdir: Path) -> Synth:
    # No asset staging: the templates are the same, and the ~35 MB layer is not copied per run.
    context = cdk_json_context(
        stage=stage,
        **{"aws:cdk:disable-asset-staging": True},
        **(PROD_CONTEXT if stage == "prod" else {}),
    )
    # nag runs in its own test (validate_scope) so that a finding fails one test, not the fixture.
    nija = build_app(context=context, outdir=str(outdir), nag=False)
    nija.app.synth()
    return Synth(
        stage=stage,
        nija=nija,
        outdir=outdir,
        catalogue=catalogue(stage),
        data=Template.from_stack(nija.data),
        service=Template.from_stack(nija.service),
    )


def resources(template: dict[str, Any], cfn_type: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in template["Resources"].items() if r["Type"] == cfn_type}


def logical_id(template: dict[str, Any], cfn_type: str, **properties: Any) -> str:
    """The one resource of ``cfn_type`` whose properties include ``properties``."""
    found = [
        k
        for k, r in resources(template, cfn_type).items()
        if all(r.get("Properties", {}).get(p) == v for p, v in properties.items())
    ]
    assert len(found) == 1, f"expected one {cfn_type} with {properties}, found {found}"
    return found[0]


def data_output(data: dict[str, Any], value: Any) -> Any:
    """The data stack output a cross-stack reference from the service stack reads.

    Weak references (``Fn::GetStackOutput``) and strong ones (``Fn::ImportValue``) both end at an
    output of the data stack whose value is a ``GetAtt``/``Ref`` of the resource.
    """
    if isinstance(value, dict) and "Fn::GetStackOutput" in value:
        return data["Outputs"][value["Fn::GetStackOutput"]["OutputName"]]["Value"]
    if isinstance(value, dict) and "Fn::ImportValue" in value:
        export = value["Fn::ImportValue"]
        return next(o["Value"] for o in data["Outputs"].values() if o.get("Export", {}).get("Name") == export)
    raise AssertionError(f"not a cross-stack reference: {json.dumps(value)}")


def data_target(data: dict[str, Any], value: Any) -> str:
    """Follow a cross-stack reference from the service stack to the data stack's logical id."""
    output = data_output(data, value)
    if "Fn::GetAtt" in output:
        return output["Fn::GetAtt"][0]
    return output["Ref"]


def render(value: Any) -> str:
    """A template value as one string: ``Ref`` as ``<Id>``, ``GetAtt`` as ``<Id.Attr>``, joins joined.

    Pseudo parameters read like cdk-nag spells them (``<AWS::Region>``); anything else is JSON.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((fn, arg),) = value.items()
        if fn == "Ref":
            return f"<{arg}>"
        if fn == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
        if fn == "Fn::Join":
            separator, parts = arg
            return separator.join(render(part) for part in parts)
    return json.dumps(value, sort_keys=True)


def key_id(synth: Synth, alias: str) -> str:
    """The data stack's logical id of the KMS key behind ``alias``."""
    (target,) = [
        r["Properties"]["TargetKeyId"]
        for r in resources(synth.data_json, "AWS::KMS::Alias").values()
        if r["Properties"]["AliasName"] == alias
    ]
    return target["Fn::GetAtt"][0]


def data_key_id(synth: Synth) -> str:
    return key_id(synth, f"alias/{synth.catalogue.prefix}/data")


def vault_key_id(synth: Synth) -> str:
    return key_id(synth, synth.catalogue.vault_key_alias)


def resolve(data: dict[str, Any], value: Any) -> Any:
    """``value`` with every cross-stack reference replaced by the data stack's own ``Ref``/``GetAtt``."""
    if isinstance(value, dict):
        if "Fn::GetStackOutput" in value or "Fn::ImportValue" in value:
            return data_output(data, value)
        return {k: resolve(data, v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(data, v) for v in value]
    return value


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One IAM statement, its references resolved and rendered (``<VaultKey1234.Arn>``, ``<AWS::Region>``)."""

    effect: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: dict[str, dict[str, Any]]
    sid: str | None = None

    @classmethod
    def of(cls, data: dict[str, Any], raw: dict[str, Any]) -> Statement:
        assert "NotAction" not in raw and "NotResource" not in raw, raw
        conditions = {
            op: {key: _render_all(resolve(data, v)) for key, v in keys.items()}
            for op, keys in resolve(data, raw.get("Condition", {})).items()
        }
        return cls(
            effect=raw["Effect"],
            actions=tuple(sorted(as_list(raw["Action"]))),
            resources=tuple(sorted(render(resolve(data, r)) for r in as_list(raw["Resource"]))),
            conditions=conditions,
            sid=raw.get("Sid"),
        )


def _render_all(value: Any) -> Any:
    return sorted(render(v) for v in value) if isinstance(value, list) else render(value)


def role_statements(synth: Synth) -> dict[str, list[Statement]]:
    """Every IAM role of both stacks and every statement it holds: its inline ``Policies``, the
    ``AWS::IAM::Policy`` resources attached to it, and its customer managed policies. AWS managed
    policies are listed as a pseudo statement (action ``managed:<arn>``) so that a test sees them."""
    found: dict[str, list[Statement]] = {}
    for template in (synth.data_json, synth.service_json):
        for role_id, role in resources(template, "AWS::IAM::Role").items():
            statements = found.setdefault(role_id, [])
            props = role["Properties"]
            for policy in props.get("Policies", []):
                statements += [
                    Statement.of(synth.data_json, s) for s in policy["PolicyDocument"]["Statement"]
                ]
            for arn in props.get("ManagedPolicyArns", []):
                if isinstance(arn, dict) and "Ref" in arn:
                    managed = template["Resources"][arn["Ref"]]["Properties"]["PolicyDocument"]
                    statements += [Statement.of(synth.data_json, s) for s in managed["Statement"]]
                else:
                    statements.append(Statement("Allow", (f"managed:{render(arn)}",), ("*",), {}))
        for policy in [
            *resources(template, "AWS::IAM::Policy").values(),
            *resources(template, "AWS::IAM::ManagedPolicy").values(),
        ]:
            for role in policy["Properties"].get("Roles", []):
                found.setdefault(role["Ref"], []).extend(
                    Statement.of(synth.data_json, s)
                    for s in policy["Properties"]["PolicyDocument"]["Statement"]
                )
    return found


def function_role(synth: Synth, function_name: str) -> str:
    fn_id = logical_id(synth.service_json, "AWS::Lambda::Function", FunctionName=function_name)
    return synth.service_json["Resources"][fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
