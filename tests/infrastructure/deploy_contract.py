"""The deployment contract: what a function's code asked for (tests/aws_calls.py) against what the
synthesized templates give that function.

- Every AWS request must be allowed to the function's execution role, as IAM decides it: its identity
  policies and the resource's own policy (a KMS key policy, a table's or bucket's resource policy),
  conditions included. The deciding is done by @cloud-copilot/iam-simulate (iam_simulate.cjs), on the
  templates rendered to concrete ARNs (`Ref`/`GetAtt`/joins and cross-stack outputs resolved, each
  resource given a stable physical name: see `_Physical`).
- Every setting the code read must be in the function's environment, unless the code ran with the
  field's default (the deployment would see the same value) or Lambda itself provides it.

Recorded names are moto's (its account, the test stage's prefix, generated ids): `translate` maps them
to the template's through the catalogue's prefixes, the KMS aliases and the environment variables
that carry an id (the user pool, usage plans, the REST API, the anchor bucket, the WebSocket API).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from aws_calls import Recording, Request, SettingRead, kms_aliases, websocket_api
from cdk_synth import ROOT, Synth

from nija.catalogue import catalogue
from nija.config import Settings

# A table stream's label is a timestamp of its creation: one for every stream of the templates.
STREAM_LABEL = "2000-01-01T00:00:00.000"
STREAM = re.compile(r"(:table/[^/]+/stream/)[^/]+$")
SIMULATOR = Path(__file__).with_name("iam_simulate.cjs")
PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::NoValue": None}
# Read by the code, never set by the stack: Lambda sets AWS_REGION in every function.
FROM_LAMBDA = {"region"}
# Settings the local stack and the tests give a value of their own on purpose (no AWS endpoint of its
# own in the cloud, inline scan shards, recorded pushes and emails, the pool's JWKS on moto); deployed,
# each function runs on the field's default, which is the AWS behaviour.
LOCAL_ONLY = {
    "aws_endpoint_url",
    "scan_fanout",
    "push_mode",
    "push_outbox",
    "email_mode",
    "email_outbox",
    "auto_confirm_signup",
    "jwks_url",
    "token_issuer",
    "realtime_push",
}
# Settings whose value names an AWS resource: the recorded id maps to the template's through them.
ID_SETTINGS = ("user_pool_id", "user_pool_client_id", "rest_api_id", "audit_anchor_bucket")


@dataclass(frozen=True)
class Violation:
    function: str
    kind: str  # "denied" (IAM) or "setting" (environment)
    what: str
    why: str

    def __str__(self) -> str:
        return f"{self.function}: {self.what}: {self.why}"


@dataclass(frozen=True)
class Deployment:
    name: str
    role: str  # logical id of its execution role
    environment: dict[str, Any]  # rendered values


@dataclass
class Contract:
    """The two templates of one synthesis, rendered, and the checks against them."""

    synth: Synth
    _nodes: dict[str, Path] = field(default_factory=dict)

    @cached_property
    def physical(self) -> _Physical:
        return _Physical(self.synth)

    @cached_property
    def deployments(self) -> dict[str, Deployment]:
        found = {}
        for r in self.physical.of_type("AWS::Lambda::Function"):
            props = r["Properties"]
            env = props.get("Environment", {}).get("Variables", {})
            found[props["FunctionName"]] = Deployment(
                props["FunctionName"],
                props["Role"]["Fn::GetAtt"][0],
                {k: self.physical.render(v) for k, v in env.items()},
            )
        return found

    @cached_property
    def role_policies(self) -> dict[str, list[dict[str, Any]]]:
        """Each role's identity policies (inline and attached), rendered. AWS managed policies (basic
        execution: CloudWatch Logs) are left out: nothing in the code calls CloudWatch Logs."""
        found: dict[str, list[dict[str, Any]]] = {}
        for role_id, _ in self.physical.items_of_type("AWS::IAM::Role"):
            found[role_id] = [
                self.physical.render(p["PolicyDocument"])
                for p in self.physical.props(role_id).get("Policies", [])
            ]
        for _, policy in self.physical.items_of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for role in policy["Properties"].get("Roles", []):
                found[role["Ref"]].append(self.physical.render(policy["Properties"]["PolicyDocument"]))
        return found

    @cached_property
    def resource_policies(self) -> dict[str, dict[str, Any]]:
        """Resource ARN -> its resource policy (KMS key policies, tables', buckets', queues')."""
        p = self.physical
        found: dict[str, dict[str, Any]] = {}
        for key_id, key in p.items_of_type("AWS::KMS::Key"):
            found[p.attribute(key_id, "Arn")] = p.render(key["Properties"]["KeyPolicy"])
        for table_id, table in p.items_of_type("AWS::DynamoDB::GlobalTable", "AWS::DynamoDB::Table"):
            for replica in table["Properties"].get("Replicas", [table["Properties"]]):
                if "ResourcePolicy" in replica:
                    found[p.attribute(table_id, "Arn")] = p.render(
                        replica["ResourcePolicy"]["PolicyDocument"]
                    )
        for _, policy in p.items_of_type("AWS::S3::BucketPolicy"):
            found[f"arn:aws:s3:::{p.render(policy['Properties']['Bucket'])}"] = p.render(
                policy["Properties"]["PolicyDocument"]
            )
        for _, policy in p.items_of_type("AWS::SQS::QueuePolicy"):
            for url in policy["Properties"]["Queues"]:
                name = p.render(url).rsplit("/", 1)[-1]
                found[f"arn:aws:sqs:{p.region}:{p.account}:{name}"] = p.render(
                    policy["Properties"]["PolicyDocument"]
                )
        return found

    def resource_policy_for(self, resource: str) -> str | None:
        for arn in self.resource_policies:
            if resource == arn or resource.startswith((f"{arn}/", f"{arn}:")):
                return arn
        return None

    # --- checking one recording ------------------------------------------------------------------------

    def check(self, recording: Recording) -> list[Violation]:
        deployment = self.deployments[recording.name]
        violations = [
            Violation(recording.name, "unnamed", call, "the recorder cannot name this call's IAM request")
            for call in recording.unmapped
        ]
        requests = sorted({self.translate(r, recording, deployment) for r in recording.requests}, key=str)
        answers = self.decide(deployment.role, requests)
        violations += [
            Violation(recording.name, "denied", r.describe(), answer)
            for r, answer in zip(requests, answers, strict=True)
            if answer != "Allowed"
        ]
        violations += [
            Violation(recording.name, "setting", read.env, why)
            for read in recording.settings.values()
            if (why := self._unset(read, deployment))
        ]
        return violations

    def _unset(self, read: SettingRead, deployment: Deployment) -> str | None:
        if read.env in deployment.environment or read.field in FROM_LAMBDA | LOCAL_ONLY:
            return None
        default = Settings.model_fields[read.field].get_default(call_default_factory=True)
        if read.value == default:
            return None
        return "read by the code (the test ran it with a value), but not in the function's environment"

    def decide(self, role: str, requests: list[Request]) -> list[str]:
        """IAM's decision on each request made by ``role``, by the simulator, in one run."""
        if not requests:
            return []
        used = {rp for r in requests if (rp := self.resource_policy_for(r.resource))}
        payload = {
            "roles": {role: self.role_policies[role]},
            "resources": {arn: self.resource_policies[arn] for arn in used},
            "requests": [
                {
                    "role": role,
                    "principal": f"arn:aws:iam::{self.physical.account}:role/{role}",
                    "action": r.action,
                    "resource": r.resource,
                    "account": self.physical.account,
                    "context": {k: list(v) if isinstance(v, tuple) else v for k, v in r.context},
                    "resource_policy": self.resource_policy_for(r.resource),
                }
                for r in requests
            ],
        }
        modules = ROOT / "infra_cdk" / "node_modules" / "@cloud-copilot" / "iam-simulate"
        assert modules.is_dir(), (
            "the IAM simulator is not installed: run `npm ci` in infra_cdk (make test does)"
        )
        done = subprocess.run(
            ["node", str(SIMULATOR)], input=json.dumps(payload), capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return [a.get("error") or a["result"] for a in json.loads(done.stdout)]

    # --- moto's names to the template's ------------------------------------------------------------------

    def translate(self, request: Request, recording: Recording, deployment: Deployment) -> Request:
        pairs = list(self._renames(recording))

        def rename(value: str) -> str:
            for old, new in pairs:
                value = value.replace(old, new)
            return value

        resource = self._key(request.resource) or STREAM.sub(
            rf"\g<1>{STREAM_LABEL}", rename(request.resource)
        )
        context = tuple(
            (k, tuple(rename(x) for x in v) if isinstance(v, tuple) else self._key(v) or rename(v))
            for k, v in request.context
        )
        return Request(request.action, resource, context, request.via)

    def _key(self, value: str) -> str | None:
        """A moto KMS key ARN as the template's key of the same alias."""
        if not value.startswith("arn:aws:kms:"):
            return None
        test, dev = _prefixes(self.synth)
        for alias in kms_aliases(value):
            deployed = alias.replace(f"/{test}/", f"/{dev}/")
            if deployed in self.physical.key_aliases:
                return self.physical.key_aliases[deployed]
        raise AssertionError(f"no key of the template has an alias of {value} ({kms_aliases(value)})")

    def _renames(self, recording: Recording) -> Iterator[tuple[str, str]]:
        from moto.core import DEFAULT_ACCOUNT_ID

        test, dev = _prefixes(self.synth)
        yield f":{DEFAULT_ACCOUNT_ID}:", f":{self.physical.account}:"
        deployed = self._deployed_values()
        for name in ID_SETTINGS:
            read = recording.settings.get(name)
            if read and read.value and name in deployed:
                yield str(read.value), deployed[name]
        socket = recording.settings.get("websocket_endpoint")
        if socket and socket.value and "websocket_endpoint" in deployed:
            yield (
                "/".join(websocket_api(socket.value)),
                "/".join(websocket_api(deployed["websocket_endpoint"])),
            )
        yield test, dev  # last: an id above may hold the prefix (the local anchor bucket's name does)

    def _deployed_values(self) -> dict[str, str]:
        """Each id-carrying setting's value in the template (any function that has it)."""
        found: dict[str, str] = {}
        for d in self.deployments.values():
            for env, value in d.environment.items():
                name = env.removeprefix("NIJA_").lower()
                if env.startswith("NIJA_") and isinstance(value, str):
                    found.setdefault(name, value)
        return found


def _prefixes(synth: Synth) -> tuple[str, str]:
    return catalogue("test").prefix, synth.catalogue.prefix


class _Physical:
    """The templates' resources under stable physical names: names the templates set, else the
    logical id (a key's id, a pool's id, an API's id), in the synthesis' own account and region."""

    def __init__(self, synth: Synth) -> None:
        self.templates = (synth.data_json, synth.service_json)
        self.data = synth.data_json
        env = synth.nija.service
        self.account, self.region = str(env.account), str(env.region)

    def _find(self, logical_id: str) -> dict[str, Any]:
        for template in self.templates:
            if logical_id in template["Resources"]:
                return dict(template["Resources"][logical_id])
        raise KeyError(logical_id)

    def props(self, logical_id: str) -> dict[str, Any]:
        return dict(self._find(logical_id).get("Properties", {}))

    def items_of_type(self, *types: str) -> Iterable[tuple[str, dict[str, Any]]]:
        for template in self.templates:
            yield from ((k, r) for k, r in template["Resources"].items() if r["Type"] in types)

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [r for _, r in self.items_of_type(*types)]

    @cached_property
    def key_aliases(self) -> dict[str, str]:
        return {
            r["Properties"]["AliasName"]: self.render(r["Properties"]["TargetKeyId"])
            for r in self.of_type("AWS::KMS::Alias")
        }

    def ref(self, logical_id: str) -> str:
        if logical_id in PSEUDO:
            return str(PSEUDO[logical_id])
        if logical_id == "AWS::AccountId":
            return self.account
        if logical_id == "AWS::Region":
            return self.region
        resource = self._find(logical_id)
        props, kind = resource.get("Properties", {}), resource["Type"]
        name_of = {
            "AWS::DynamoDB::GlobalTable": "TableName",
            "AWS::DynamoDB::Table": "TableName",
            "AWS::Lambda::Function": "FunctionName",
            "AWS::S3::Bucket": "BucketName",
            "AWS::SQS::Queue": "QueueName",
        }
        name = props.get(
            name_of.get(kind, ""), logical_id.lower() if kind == "AWS::S3::Bucket" else logical_id
        )
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{self.region}.amazonaws.com/{self.account}/{name}"
        if kind == "AWS::Cognito::UserPool":
            return f"{self.region}_{logical_id}"
        if kind == "AWS::Timestream::Table":
            return f"{self.render(props['DatabaseName'])}|{self.render(props['TableName'])}"
        return str(name)

    def attribute(self, logical_id: str, attribute: str) -> str:
        kind = self._find(logical_id)["Type"]
        name = self.ref(logical_id)
        # A Timestream table's Ref is "database|table"; its ARN names both.
        timestream = "database/{}/table/{}".format(*name.split("|", 1)) if "|" in name else name
        arn = {
            "AWS::DynamoDB::GlobalTable": f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{self.region}:{self.account}:table/{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{self.region}:{self.account}:key/{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{self.region}:{self.account}:{name.rsplit('/', 1)[-1]}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::Cognito::UserPool": f"arn:aws:cognito-idp:{self.region}:{self.account}:userpool/{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{self.region}:{self.account}:function:{name}",
            "AWS::IAM::Role": f"arn:aws:iam::{self.account}:role/{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{self.region}:{self.account}:{name}",
            "AWS::Timestream::Table": f"arn:aws:timestream:{self.region}:{self.account}:{timestream}",
        }.get(kind, f"arn:aws:unknown:{self.region}:{self.account}:{name}")
        if attribute == "Arn":
            return arn
        if attribute == "StreamArn":
            return f"{arn}/stream/{STREAM_LABEL}"
        if attribute == "QueueName":
            return name.rsplit("/", 1)[-1]
        raise AssertionError(f"teach _Physical {kind}.{attribute}")

    def render(self, value: Any) -> Any:
        """``value`` with every intrinsic function resolved to a concrete string."""
        if isinstance(value, list):
            return [self.render(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((fn, arg),) = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::GetAtt":
                return self.attribute(arg[0], arg[1])
            if fn == "Fn::Join":
                return arg[0].join(str(self.render(v)) for v in self.render(arg[1]))
            if fn == "Fn::Select":
                return self.render(arg[1])[int(arg[0])]
            if fn == "Fn::Split":
                return str(self.render(arg[1])).split(arg[0])
            if fn == "Fn::GetStackOutput":
                return self.render(self.data["Outputs"][arg["OutputName"]]["Value"])
            if fn == "Fn::ImportValue":
                (out,) = [o for o in self.data["Outputs"].values() if o.get("Export", {}).get("Name") == arg]
                return self.render(out["Value"])
            if fn.startswith("Fn::"):
                raise AssertionError(f"teach _Physical {fn}")
        return {k: self.render(v) for k, v in value.items()}
