"""What a function's code asks of AWS and of its settings, recorded while it runs on moto.

`recording(name)` patches the one place every AWS call passes (botocore's
``BaseClient._make_api_call``: boto3 clients and pynamodb alike) and the settings model's attribute
access, and keeps, for the function deployment ``name``:

- each call as the IAM request AWS would authorize: action, resource ARN and the context keys a
  policy condition can test (secret tags, KMS encryption context, ...), plus the requests a call
  implies (Secrets Manager opening a secret under a customer managed key asks KMS as the caller);
- each setting read (a ``Settings`` field), with the value the code saw.

Resources are named as moto named them (its account, the test stage): the contract check
(tests/infrastructure/deploy_contract.py) translates them to the template's names.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.client import BaseClient

from nija.config import Settings

# Calls that need no IAM permission: authorized by the user's tokens or by nobody.
_UNSIGNED = ("smithy.api#noAuth", "none")
_BATCH = {
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
}
_S3 = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "ListObjectVersions": "ListBucketVersions"}
_TRANSACT = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_FREE = {("sts", "GetCallerIdentity")}


@dataclass(frozen=True)
class Request:
    """One request as IAM sees it; ``via`` names the call that made it (itself, or the call it is
    implied by)."""

    action: str
    resource: str
    context: tuple[tuple[str, str | tuple[str, ...]], ...] = ()
    via: str = ""

    def describe(self) -> str:
        why = f" (for {self.via})" if self.via and self.via != self.action else ""
        return f"{self.action} on {self.resource}{why}"


@dataclass(frozen=True)
class SettingRead:
    field: str
    value: Any

    @property
    def env(self) -> str:
        alias = Settings.model_fields[self.field].validation_alias
        return alias if isinstance(alias, str) else f"NIJA_{self.field.upper()}"


@dataclass
class Recording:
    """Everything one function deployment asked for while it ran."""

    name: str
    requests: list[Request] = field(default_factory=list)
    settings: dict[str, SettingRead] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)  # calls this module cannot name: a test fails


_active: list[Recording] = []
_inside = threading.local()  # set while a recorded call runs: what it calls itself is not the function's


@contextlib.contextmanager
def recording(name: str) -> Iterator[Recording]:
    """Record what runs inside the block as function deployment ``name`` (one at a time)."""
    assert not _active, f"already recording {_active[0].name}"
    rec = Recording(name)
    make_api_call = BaseClient._make_api_call
    getattribute = Settings.__getattribute__

    def recorded_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if not _active or getattr(_inside, "call", False):
            return make_api_call(client, operation, params)
        _inside.call = True
        try:
            answer = make_api_call(client, operation, params)
            _record(rec, client, operation, params, answer)
            return answer
        finally:
            _inside.call = False

    def recorded_read(settings: Settings, name: str) -> Any:
        value = getattribute(settings, name)
        if _active and name in Settings.model_fields and not getattr(_inside, "call", False):
            rec.settings.setdefault(name, SettingRead(name, value))
        return value

    BaseClient._make_api_call = recorded_call  # type: ignore[method-assign]
    Settings.__getattribute__ = recorded_read  # type: ignore[method-assign]
    _active.append(rec)
    try:
        yield rec
    finally:
        _active.clear()
        BaseClient._make_api_call = make_api_call  # type: ignore[method-assign]
        Settings.__getattribute__ = getattribute  # type: ignore[method-assign]


# --- naming a call as IAM does ------------------------------------------------------------------------


def _record(rec: Recording, client: BaseClient, operation: str, params: dict[str, Any], answer: Any) -> None:
    model = client.meta.service_model
    prefix = model.signing_name
    op = model.operation_model(operation)
    if (prefix, operation) in _FREE or set(getattr(op, "auth", None) or [op.auth_type]) <= set(_UNSIGNED):
        return
    region = client.meta.region_name
    at = _Where(region, _account())
    namer = _NAMERS.get(prefix)
    made = namer(at, client, operation, params, answer) if namer else None
    if made is None:
        rec.unmapped.append(f"{prefix}:{operation}")
        return
    rec.requests.extend(
        Request(r.action, r.resource, r.context, r.via or f"{prefix}:{operation}") for r in made
    )


@dataclass(frozen=True)
class _Where:
    region: str
    account: str

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        return (
            f"arn:aws:{service}:{self.region if region else ''}:{self.account if account else ''}:{resource}"
        )


def _account() -> str:
    from moto.core import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


def _ctx(**keys: str | list[str] | tuple[str, ...]) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    return tuple(
        sorted((k.replace("__", "/"), v if isinstance(v, str) else tuple(v)) for k, v in keys.items())
    )


_iterators: dict[str, str] = {}  # shard iterator -> its stream's ARN (GetRecords names no stream)


def _streams(at: _Where, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    """The event source mapping reads a table's stream with the function's role."""
    if op == "ListStreams":
        return [Request("dynamodb:ListStreams", "*")]
    stream = params.get("StreamArn") or _iterators.get(params.get("ShardIterator", ""), "")
    for iterator in (answer.get("ShardIterator"), answer.get("NextShardIterator")):
        if iterator:
            _iterators[iterator] = stream
    return [Request(f"dynamodb:{op}", stream)]


def _dynamodb(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    if client.meta.service_model.service_name == "dynamodbstreams":
        return _streams(at, op, params, answer)

    def table(name: str, index: str | None = None) -> str:
        return at.arn("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))

    if op in ("BatchGetItem", "BatchWriteItem"):
        return [Request(f"dynamodb:{op}", table(t)) for t in params["RequestItems"]]
    if op == "TransactWriteItems":
        return [
            Request(f"dynamodb:{_TRANSACT[kind]}", table(body["TableName"]))
            for item in params["TransactItems"]
            for kind, body in item.items()
        ]
    if op == "TransactGetItems":
        return [Request("dynamodb:GetItem", table(i["Get"]["TableName"])) for i in params["TransactItems"]]
    return [Request(f"dynamodb:{op}", table(params["TableName"], params.get("IndexName")))]


def _sqs(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    name = params.get("QueueName") or params["QueueUrl"].rstrip("/").rsplit("/", 1)[-1]
    return [Request(f"sqs:{_BATCH.get(('sqs', op), op)}", at.arn("sqs", name))]


def _kms_key(at: _Where, key_id: str) -> str:
    """The key's ARN, whatever names it (id, ARN, alias name or alias ARN)."""
    from moto.kms.models import kms_backends

    return str(kms_backends[at.account][at.region].describe_key(key_id).arn)


def kms_aliases(key_arn: str) -> list[str]:
    """The alias names moto holds for a key: how the contract check finds the template's key."""
    from moto.kms.models import kms_backends

    _, _, _, region, account, resource = key_arn.split(":", 5)
    key_id = resource.split("/", 1)[-1]
    return sorted(a.alias_name for a in kms_backends[account][region].list_aliases(key_id))


def _kms(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    context = params.get("EncryptionContext") or {}
    keys = {f"kms:EncryptionContext:{k}": v for k, v in context.items()}
    extra = {"kms:EncryptionContextKeys": sorted(context)} if context else {}
    key = _kms_key(at, params["KeyId"]) if "KeyId" in params else ""
    if op == "Decrypt" and not key:
        key = str(answer["KeyId"])
    return [Request(f"kms:{op}", key, _ctx(**{"kms:CallerAccount": at.account, **keys, **extra}))]


def _secretsmanager(
    at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any
) -> list[Request]:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[at.account][at.region]
    secret_id = params.get("SecretId") or params.get("Name")
    secret = backend.secrets.get(secret_id) if secret_id else None
    if secret is None or not hasattr(secret, "arn"):  # deleted (and gone) by this very call
        arn = answer.get("ARN") if isinstance(answer, dict) else None
        tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        key_id = params.get("KmsKeyId")
        version = answer.get("VersionId") if isinstance(answer, dict) else None
    else:
        arn, key_id = secret.arn, secret.kms_key_id
        tags = {t["Key"]: t["Value"] for t in secret.tags or []}
        version = (answer or {}).get("VersionId") or secret.default_version_id
    if arn is None:
        return []
    context: dict[str, Any] = {f"secretsmanager:ResourceTag/{k}": v for k, v in tags.items()}
    if op in ("CreateSecret", "TagResource"):
        request_tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
        context = {f"aws:RequestTag/{k}": v for k, v in request_tags.items()}
        context["aws:TagKeys"] = sorted(request_tags)
        if op == "CreateSecret" and key_id:
            context["secretsmanager:KmsKeyId"] = _kms_key(at, key_id)
    if op == "GetSecretValue":  # the label asked for (a multi-valued key: ForAnyValue in policies)
        context["secretsmanager:VersionStage"] = [params.get("VersionStage", "AWSCURRENT")]
    made = [Request(f"secretsmanager:{op}", arn, _ctx(**context))]
    # Secrets Manager uses a customer managed key as the caller: the caller's role needs KMS too.
    kms_for = {
        "GetSecretValue": ("Decrypt",),
        "CreateSecret": ("GenerateDataKey",),
        "PutSecretValue": ("GenerateDataKey",),
    }
    if key_id and op in kms_for:
        via = {
            "kms:ViaService": f"secretsmanager.{at.region}.amazonaws.com",
            "kms:CallerAccount": at.account,
            "kms:EncryptionContext:SecretARN": arn,
            "kms:EncryptionContextKeys": ["SecretARN", "SecretVersionId"],
            "kms:EncryptionContext:SecretVersionId": str(version or "AWSCURRENT"),
        }
        made += [Request(f"kms:{a}", _kms_key(at, key_id), _ctx(**via)) for a in kms_for[op]]
    return made


def _s3(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    bucket = params["Bucket"]
    action = _S3.get(op, op)
    if "Key" not in params:
        return [Request(f"s3:{action}", f"arn:aws:s3:::{bucket}")]
    if params.get("VersionId") and action == "GetObject":
        action = "GetObjectVersion"
    made = [Request(f"s3:{action}", f"arn:aws:s3:::{bucket}/{params['Key']}")]
    if op == "PutObject" and params.get("ObjectLockMode"):
        made.append(Request("s3:PutObjectRetention", made[0].resource))
    return made


def _apigateway(
    at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any
) -> list[Request]:
    http = client.meta.service_model.operation_model(op).http
    path = re.sub(r"\{(\w+)\+?\}", lambda m: str(params[_member(client, op, m.group(1))]), http["requestUri"])
    return [Request(f"apigateway:{http['method']}", f"arn:aws:apigateway:{at.region}::{path.split('?')[0]}")]


def _member(client: BaseClient, op: str, location_name: str) -> str:
    shape = client.meta.service_model.operation_model(op).input_shape
    for name, member in shape.members.items():
        if member.serialization.get("name") == location_name:
            return str(name)
    return location_name


def _execute_api(
    at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any
) -> list[Request]:
    api, stage = _websocket(client.meta.endpoint_url)
    method = client.meta.service_model.operation_model(op).http["method"]
    return [
        Request(
            "execute-api:ManageConnections",
            at.arn("execute-api", f"{api}/{stage}/{method}/@connections/{params['ConnectionId']}"),
        )
    ]


def _websocket(endpoint: str) -> tuple[str, str]:
    """The API id and stage of a WebSocket callback URL (https://{api}.execute-api.{region}.../{stage})."""
    host, _, path = endpoint.split("://", 1)[-1].partition("/")
    return host.split(".", 1)[0], path.strip("/").split("/", 1)[0]


def _cognito(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    return [Request(f"cognito-idp:{op}", at.arn("cognito-idp", f"userpool/{params['UserPoolId']}"))]


def _lambda(at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any) -> list[Request]:
    name = (
        params["FunctionName"].rsplit(":", 1)[-1]
        if "function:" in params["FunctionName"]
        else params["FunctionName"]
    )
    action = "InvokeFunction" if op in ("Invoke", "InvokeAsync") else op
    return [Request(f"lambda:{action}", at.arn("lambda", f"function:{name}"))]


def _timestream(
    at: _Where, client: BaseClient, op: str, params: dict[str, Any], answer: Any
) -> list[Request]:
    if op == "DescribeEndpoints":
        return [Request("timestream:DescribeEndpoints", "*")]
    return [
        Request(
            f"timestream:{op}",
            at.arn("timestream", f"database/{params['DatabaseName']}/table/{params['TableName']}"),
        )
    ]


_NAMERS = {
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "kms": _kms,
    "secretsmanager": _secretsmanager,
    "s3": _s3,
    "apigateway": _apigateway,
    "execute-api": _execute_api,
    "cognito-idp": _cognito,
    "lambda": _lambda,
    "timestream": _timestream,
}
