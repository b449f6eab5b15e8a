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


def synthesize(stage: str, outdir: Path) -> Synth:
    # No asset staging: the templates are the same, and the ~35 MB layer is not copied per run.
    context = cdk_json_context(stage=stage, **{"aws:cdk:disable-asset-staging": True})
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


def data_target(data: dict[str, Any], value: Any) -> str:
    """Follow a cross-stack reference from the service stack to the data stack's logical id.

    Weak references (``Fn::GetStackOutput``) and strong ones (``Fn::ImportValue``) both end at an
    output of the data stack whose value is a ``GetAtt``/``Ref`` of the resource.
    """
    if isinstance(value, dict) and "Fn::GetStackOutput" in value:
        output = data["Outputs"][value["Fn::GetStackOutput"]["OutputName"]]["Value"]
    elif isinstance(value, dict) and "Fn::ImportValue" in value:
        export = value["Fn::ImportValue"]
        output = next(
            o["Value"] for o in data["Outputs"].values() if o.get("Export", {}).get("Name") == export
        )
    else:
        raise AssertionError(f"not a cross-stack reference: {json.dumps(value)}")
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
