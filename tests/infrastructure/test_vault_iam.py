"""The vault's least privilege, read off the synthesized templates.

Each executor may read only its own broker's secrets (by name and by tag) and open only data keys
bound to its broker; trading_api may create, replace and delete secrets and make data keys, but read
no secret value; no other role may touch a secret or the vault key. Every role of both stacks is
walked, its statements resolved across stacks; then the same requests are put to a small model of
IAM's evaluation of Allow statements (actions and resources as wildcards; StringEquals, StringLike,
Null, ForAllValues:StringEquals) so that a broad grant anywhere shows up as an allowed request.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

import pytest
from cdk_synth import (
    Statement,
    Synth,
    data_key_id,
    function_role,
    logical_id,
    resolve,
    resources,
    role_statements,
    vault_key_id,
)

from infra_cdk.constructs.vault import ARN_SUFFIX, SM_KEY_CHECK_VERSION
from nija.catalogue import BROKERS, VAULT_CONTEXT_KEYS
from nija.domain.credentials import kept_in_vault
from nija.domain.models import BrokerName

pytestmark = [pytest.mark.infra, pytest.mark.slow, pytest.mark.xdist_group("cdk")]

ALICE = "a11ce000-0000-4000-8000-000000000001"
VIA_SM = "secretsmanager.<AWS::Region>.amazonaws.com"
ARN_PREFIX = "arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:"
# Managed policies a role may carry: neither reaches Secrets Manager or KMS.
HARMLESS_MANAGED = {
    "managed:arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "managed:arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}
SECRET_WRITES = (
    "secretsmanager:CreateSecret",
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:TagResource",
    "secretsmanager:UntagResource",
    "secretsmanager:RestoreSecret",
    "secretsmanager:RotateSecret",
    "secretsmanager:PutResourcePolicy",
)
SECRET_READS = ("secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue")


# --- a small model of IAM's evaluation ---------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: dict[str, Any] = field(default_factory=dict)  # a list value is a multi-valued key


def _values(expected: Any) -> list[str]:
    return [str(v) for v in (expected if isinstance(expected, list) else [expected])]


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, Any]) -> bool:
    present = key in context
    actual = context.get(key)
    if operator == "Null":
        return present != (_values(expected) == ["true"])
    if operator == "ForAllValues:StringEquals":
        return all(v in _values(expected) for v in (actual or []))
    if operator == "ForAnyValue:StringEquals":
        return any(v in _values(expected) for v in (actual or []))
    if not present:
        return False
    if operator == "StringEquals":
        return actual in _values(expected)
    if operator == "StringLike":
        return any(fnmatch.fnmatchcase(actual, pattern) for pattern in _values(expected))
    raise AssertionError(f"the model does not know {operator}; teach it before granting with it")


def _matches(statement: Statement, request: Request) -> bool:
    return (
        any(fnmatch.fnmatchcase(request.action, a) for a in statement.actions)
        and any(fnmatch.fnmatchcase(request.resource, r) for r in statement.resources)
        and all(
            _condition_holds(op, key, expected, request.context)
            for op, keys in statement.conditions.items()
            for key, expected in keys.items()
        )
    )


def allowed(statements: list[Statement], request: Request) -> bool:
    if any(s.effect == "Deny" and _matches(s, request) for s in statements):
        return False
    return any(s.effect == "Allow" and _matches(s, request) for s in statements)


# --- the requests the vault makes, and the ones it must never be able to make ------------------------


def secret(user: str, cat: Any) -> str:
    return f"{ARN_PREFIX}{cat.secret_name(user)}-AbC123"


def vault_key(synth: Synth) -> str:
    return f"<{vault_key_id(synth)}.Arn>"


def read_secret(synth: Synth, stage: BrokerName | str | None) -> Request:
    """GetSecretValue on ALICE's secret, the version labelled ``stage`` (None: no label asked)."""
    context: dict[str, Any] = {"secretsmanager:ResourceTag/user_id": ALICE}
    if stage is not None:
        context["secretsmanager:VersionStage"] = [str(getattr(stage, "value", stage))]
    return Request("secretsmanager:GetSecretValue", secret(ALICE, synth.catalogue), context)


def open_data_key(synth: Synth, broker: BrokerName, action: str = "kms:Decrypt") -> Request:
    """Our envelope: KMS directly, context {user_id, broker}."""
    return Request(
        action,
        vault_key(synth),
        {
            "kms:EncryptionContextKeys": list(VAULT_CONTEXT_KEYS),
            "kms:EncryptionContext:user_id": ALICE,
            "kms:EncryptionContext:broker": broker.value,
        },
    )


def via_secrets_manager(synth: Synth, action: str = "kms:Decrypt", version: str = "0b1c2d3e") -> Request:
    """Secrets Manager using the key on the caller's behalf for ALICE's secret."""
    return Request(
        action,
        vault_key(synth),
        {
            "kms:ViaService": VIA_SM,
            "kms:EncryptionContextKeys": ["SecretARN", "SecretVersionId"],
            "kms:EncryptionContext:SecretARN": secret(ALICE, synth.catalogue),
            "kms:EncryptionContext:SecretVersionId": version,
        },
    )


def create_secret(synth: Synth, tags: dict[str, str], key: str | None = None) -> Request:
    return Request(
        "secretsmanager:CreateSecret",
        secret(ALICE, synth.catalogue),
        {
            "aws:TagKeys": list(tags),
            **{f"aws:RequestTag/{k}": v for k, v in tags.items()},
            "secretsmanager:KmsKeyId": key or vault_key(synth),
        },
    )


TAGS = {"user_id": ALICE}
# The brokers whose keys are kept; the paper broker's are not (nija.domain.credentials.kept_in_vault).
VAULTED = tuple(b for b in BROKERS if kept_in_vault(b))


# --- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def roles(dev: Synth) -> dict[str, list[Statement]]:
    return role_statements(dev)


def _executor(dev: Synth, roles: dict[str, list[Statement]], broker: BrokerName) -> list[Statement]:
    return roles[function_role(dev, dev.catalogue.executor(broker).name)]


def _trading_api(dev: Synth, roles: dict[str, list[Statement]]) -> list[Statement]:
    return roles[function_role(dev, dev.catalogue.trading_api.name)]


def _erasers(dev: Synth) -> tuple[str, ...]:
    """The functions that erase accounts: DELETE /v1/me (dashboard_api) and an admin's erasure."""
    return (dev.catalogue.dashboard_api.name, dev.catalogue.admin_api.name)


def _vault_roles(dev: Synth) -> set[str]:
    """The roles with any statement on the vault: trading_api, the executors, and the erasers
    (DeleteSecret only: test_the_erasers_only_delete_secrets)."""
    cat = dev.catalogue
    return {
        function_role(dev, cat.trading_api.name),
        *(function_role(dev, name) for name in _erasers(dev)),
        *(function_role(dev, cat.executor(b).name) for b in VAULTED),
    }


# --- the key -----------------------------------------------------------------------------------------


def test_vault_key_is_its_own_rotated_customer_managed_key(dev: Synth) -> None:
    key_id = vault_key_id(dev)
    assert key_id != data_key_id(dev)
    props = dev.data_json["Resources"][key_id]["Properties"]
    assert props["EnableKeyRotation"] is True
    assert props.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"  # Secrets Manager needs it
    alias_id = logical_id(dev.data_json, "AWS::KMS::Alias", AliasName=dev.catalogue.vault_key_alias)
    assert dev.data_json["Resources"][alias_id]["Properties"]["TargetKeyId"] == {
        "Fn::GetAtt": [key_id, "Arn"]
    }


def test_vault_key_policy_names_no_principal_but_the_account(dev: Synth) -> None:
    """The key policy delegates to IAM in this account: who may use the key is what the roles say
    (below), and the operator's ``nija vault rewrap`` runs on the operator's own IAM permissions."""
    (statement,) = dev.data_json["Resources"][vault_key_id(dev)]["Properties"]["KeyPolicy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::000000000000:root"}


def test_dev_vault_key_goes_with_the_stack_prod_vault_key_is_retained(dev: Synth, prod: Synth) -> None:
    dev_key = dev.data_json["Resources"][vault_key_id(dev)]
    assert (dev_key["DeletionPolicy"], dev_key["UpdateReplacePolicy"]) == ("Delete", "Delete")
    assert dev_key["Properties"]["PendingWindowInDays"] == 7
    prod_key = prod.data_json["Resources"][vault_key_id(prod)]
    assert (prod_key["DeletionPolicy"], prod_key["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert prod_key["Properties"]["PendingWindowInDays"] == 30
    alias_id = logical_id(prod.data_json, "AWS::KMS::Alias", AliasName="alias/nija-prod/vault")
    assert alias_id


def test_vault_key_arn_is_set_on_trading_api_and_every_executor_only(dev: Synth) -> None:
    key_arn = {"Fn::GetAtt": [vault_key_id(dev), "Arn"]}
    expected = {dev.catalogue.trading_api.name, *(dev.catalogue.executor(b).name for b in BROKERS)}
    for fn in resources(dev.service_json, "AWS::Lambda::Function").values():
        env = fn["Properties"]["Environment"]["Variables"]
        if fn["Properties"]["FunctionName"] in expected:
            assert resolve(dev.data_json, env["NIJA_VAULT_KEY_ID"]) == key_arn
        else:
            assert "NIJA_VAULT_KEY_ID" not in env, fn["Properties"]["FunctionName"]


def test_encryption_context_and_tags_use_the_catalogue_names() -> None:
    from nija.adapters.envelope import encryption_context

    assert tuple(encryption_context(ALICE, "paper")) == VAULT_CONTEXT_KEYS


# --- the exact statements ----------------------------------------------------------------------------


def _vault_statements(dev: Synth, statements: list[Statement]) -> list[Statement]:
    """Statements on a secret or on the vault key."""
    key = vault_key(dev)
    return [
        s
        for s in statements
        if any(a.startswith(("secretsmanager:", "*")) for a in s.actions)
        or (any(r in (key, "*") for r in s.resources) and any(a.startswith(("kms:", "*")) for a in s.actions))
    ]


@pytest.mark.parametrize("broker", VAULTED, ids=str)
def test_executor_statements_on_the_vault(
    dev: Synth, roles: dict[str, list[Statement]], broker: BrokerName
) -> None:
    b = broker.value
    key = vault_key(dev)
    secrets = f"{ARN_PREFIX}{dev.catalogue.secret_prefix}*/vault{ARN_SUFFIX}"
    assert secrets == f"{ARN_PREFIX}nija-dev/users/*/vault-??????"
    assert sorted(_vault_statements(dev, _executor(dev, roles, broker)), key=lambda s: s.sid or "") == sorted(
        [
            Statement(
                "Allow",
                ("secretsmanager:GetSecretValue",),
                (secrets,),
                {"ForAnyValue:StringEquals": {"secretsmanager:VersionStage": [b]}},
                f"VaultRead{b.capitalize()}Versions",
            ),
            Statement(
                "Allow",
                ("kms:Decrypt",),
                (key,),
                {"StringEquals": {"kms:EncryptionContext:broker": b}},
                f"VaultOpen{b.capitalize()}DataKeys",
            ),
            Statement(
                "Allow",
                ("kms:Decrypt",),
                (key,),
                {
                    "StringEquals": {"kms:ViaService": VIA_SM},
                    "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
                },
                f"VaultDecrypt{b.capitalize()}ViaSecretsManager",
            ),
        ],
        key=lambda s: s.sid or "",
    )


def test_the_paper_executor_holds_nothing_on_the_vault(dev: Synth, roles: dict[str, list[Statement]]) -> None:
    """The paper broker keeps no keys: its executor may neither read a version nor open a data key."""
    paper = _executor(dev, roles, BrokerName.PAPER)
    assert _vault_statements(dev, paper) == []
    assert not allowed(paper, read_secret(dev, BrokerName.PAPER))
    assert not allowed(paper, open_data_key(dev, BrokerName.PAPER))


def test_trading_api_statements_on_the_vault(dev: Synth, roles: dict[str, list[Statement]]) -> None:
    key = vault_key(dev)
    secrets = f"{ARN_PREFIX}nija-dev/users/*/vault-??????"
    via_sm = {
        "StringEquals": {"kms:ViaService": VIA_SM},
        "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
    }
    tagged = {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["user_id"]},
        "Null": {"aws:RequestTag/user_id": "false"},
    }
    expected = {
        "VaultCreateTaggedSecrets": Statement(
            "Allow",
            ("secretsmanager:CreateSecret",),
            (secrets,),
            {**tagged, "StringEquals": {"secretsmanager:KmsKeyId": key}},
        ),
        "VaultTagSecrets": Statement("Allow", ("secretsmanager:TagResource",), (secrets,), tagged),
        "VaultReplaceDeleteSecrets": Statement(
            "Allow",
            (
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
            ),
            (secrets,),
            {},
        ),
        "VaultMakeDataKeys": Statement(
            "Allow",
            ("kms:GenerateDataKey",),
            (key,),
            {
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["broker", "user_id"]},
                "Null": {"kms:EncryptionContext:user_id": "false", "kms:EncryptionContext:broker": "false"},
            },
        ),
        "VaultEncryptViaSecretsManager": Statement("Allow", ("kms:GenerateDataKey",), (key,), via_sm),
        "VaultKeyCheckViaSecretsManager": Statement(
            "Allow",
            ("kms:Decrypt",),
            (key,),
            {
                "StringEquals": {
                    **via_sm["StringEquals"],
                    "kms:EncryptionContext:SecretVersionId": SM_KEY_CHECK_VERSION,
                },
                "StringLike": via_sm["StringLike"],
            },
        ),
    }
    found = {s.sid: s for s in _vault_statements(dev, _trading_api(dev, roles))}
    assert set(found) == set(expected)
    for sid, statement in expected.items():
        assert found[sid] == Statement(**{**statement.__dict__, "sid": sid}), sid


def test_no_other_role_holds_a_statement_on_secrets_or_the_vault_key(
    dev: Synth, roles: dict[str, list[Statement]]
) -> None:
    vault_roles = _vault_roles(dev)
    others = {role: statements for role, statements in roles.items() if role not in vault_roles}
    assert len(others) >= 3  # admin_api, authorizer, API Gateway's CloudWatch role
    for role, statements in others.items():
        assert _vault_statements(dev, statements) == [], role
        managed = {a for s in statements for a in s.actions if a.startswith("managed:")}
        assert managed <= HARMLESS_MANAGED, (role, managed)


# --- what each role may and may not do ---------------------------------------------------------------


@pytest.mark.parametrize("broker", VAULTED, ids=str)
def test_executor_reads_and_opens_only_its_own_brokers_keys(
    dev: Synth, roles: dict[str, list[Statement]], broker: BrokerName
) -> None:
    mine = _executor(dev, roles, broker)
    assert allowed(mine, read_secret(dev, broker))
    assert allowed(mine, open_data_key(dev, broker))
    assert allowed(mine, via_secrets_manager(dev))
    for other in BROKERS:
        if other is broker:
            continue
        assert not allowed(mine, read_secret(dev, other)), other
        assert not allowed(mine, open_data_key(dev, other)), other
    # The manifest, a version whose label was taken off (replaced, disconnected), any other label.
    for stage in ("AWSCURRENT", "AWSPREVIOUS", None):
        assert not allowed(mine, read_secret(dev, stage)), stage


@pytest.mark.parametrize("broker", VAULTED, ids=str)
def test_executor_writes_no_secret_and_makes_no_data_key(
    dev: Synth, roles: dict[str, list[Statement]], broker: BrokerName
) -> None:
    mine = _executor(dev, roles, broker)
    for action in (
        *SECRET_WRITES,
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:DescribeSecret",
    ):
        request = create_secret(dev, TAGS)
        assert not allowed(mine, Request(action, request.resource, request.context)), action
    for action in ("kms:GenerateDataKey", "kms:Encrypt", "kms:ReEncryptFrom"):
        assert not allowed(mine, open_data_key(dev, broker, action)), action
        assert not allowed(mine, via_secrets_manager(dev, action)), action


@pytest.mark.parametrize("broker", VAULTED, ids=str)
def test_trading_api_creates_replaces_and_deletes_but_never_reads(
    dev: Synth, roles: dict[str, list[Statement]], broker: BrokerName
) -> None:
    api = _trading_api(dev, roles)
    name = secret(ALICE, dev.catalogue)
    # The adapter: CreateSecret (tagged user_id, the vault key) with TagResource, PutSecretValue of
    # a broker's version, DescribeSecret and UpdateSecretVersionStage to take a broker's label off,
    # DeleteSecret with the last one; data keys bound to {user_id, broker}.
    assert allowed(api, create_secret(dev, TAGS))
    assert allowed(api, Request("secretsmanager:TagResource", name, create_secret(dev, TAGS).context))
    for action in (
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
        "secretsmanager:DeleteSecret",
        "secretsmanager:DescribeSecret",
    ):
        assert allowed(api, Request(action, name)), action
    assert allowed(api, open_data_key(dev, broker, "kms:GenerateDataKey"))
    assert allowed(api, via_secrets_manager(dev, "kms:GenerateDataKey"))
    assert allowed(api, via_secrets_manager(dev, "kms:Decrypt", version=SM_KEY_CHECK_VERSION))

    # Never a value back, by any road.
    for action in SECRET_READS:
        for stage in (broker, "AWSCURRENT", None):
            assert not allowed(api, Request(action, name, read_secret(dev, stage).context)), (action, stage)
    assert not allowed(api, open_data_key(dev, broker, "kms:Decrypt"))
    assert not allowed(api, via_secrets_manager(dev, "kms:Decrypt"))

    # Only tagged with the user's id and nothing else, only under the vault key, only in this stage.
    assert not allowed(api, create_secret(dev, {}))
    assert not allowed(api, create_secret(dev, {**TAGS, "owner": "x"}))
    assert not allowed(api, create_secret(dev, TAGS, key="alias/aws/secretsmanager"))
    elsewhere = Request("secretsmanager:PutSecretValue", f"{ARN_PREFIX}nija-prod/users/{ALICE}/vault-AbC123")
    assert not allowed(api, elsewhere)
    # Data keys only for {user_id, broker}.
    only_broker = open_data_key(dev, broker, "kms:GenerateDataKey")
    assert not allowed(
        api,
        Request(
            only_broker.action,
            only_broker.resource,
            {"kms:EncryptionContextKeys": ["broker"], "kms:EncryptionContext:broker": broker.value},
        ),
    )
    assert not allowed(
        api,
        Request(
            only_broker.action,
            only_broker.resource,
            {**only_broker.context, "kms:EncryptionContextKeys": [*VAULT_CONTEXT_KEYS, "extra"]},
        ),
    )


@pytest.mark.parametrize("eraser", [0, 1], ids=["dashboard_api", "admin_api"])
def test_the_erasers_only_delete_secrets(dev: Synth, roles: dict[str, list[Statement]], eraser: int) -> None:
    """An erasure deletes the user's secret by name: DeleteSecret on the stage's secrets, nothing
    else on a secret and nothing at all on the vault key (deleting reads nothing, uses no key)."""
    api = roles[function_role(dev, _erasers(dev)[eraser])]
    secrets = f"{ARN_PREFIX}{dev.catalogue.secret_prefix}*/vault{ARN_SUFFIX}"
    assert _vault_statements(dev, api) == [
        Statement("Allow", ("secretsmanager:DeleteSecret",), (secrets,), {}, sid="VaultDeleteSecrets")
    ]
    name = secret(ALICE, dev.catalogue)
    assert allowed(api, Request("secretsmanager:DeleteSecret", name))
    for broker in BROKERS:
        for action in (*SECRET_READS, *(a for a in SECRET_WRITES if a != "secretsmanager:DeleteSecret")):
            assert not allowed(api, Request(action, name, read_secret(dev, broker).context)), action
        for action in ("kms:Decrypt", "kms:GenerateDataKey"):
            assert not allowed(api, open_data_key(dev, broker, action)), action
    assert not allowed(api, create_secret(dev, TAGS))
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        assert not allowed(api, via_secrets_manager(dev, action)), action
    elsewhere = f"{ARN_PREFIX}nija-prod/users/{ALICE}/vault-AbC123"
    assert not allowed(api, Request("secretsmanager:DeleteSecret", elsewhere))


def test_no_other_role_may_do_anything_with_the_vault(dev: Synth, roles: dict[str, list[Statement]]) -> None:
    vault_roles = _vault_roles(dev)
    requests = [
        *(read_secret(dev, b) for b in BROKERS),
        create_secret(dev, TAGS),
        *(Request(a, secret(ALICE, dev.catalogue)) for a in SECRET_WRITES),
        *(open_data_key(dev, b, a) for b in BROKERS for a in ("kms:Decrypt", "kms:GenerateDataKey")),
        *(via_secrets_manager(dev, a) for a in ("kms:Decrypt", "kms:GenerateDataKey")),
    ]
    for role, statements in roles.items():
        if role in vault_roles:
            continue
        for request in requests:
            assert not allowed(statements, request), (role, request)


def test_the_model_is_not_vacuous() -> None:
    """A broad grant is caught: the same requests pass a statement of Resource '*'."""
    broad = [Statement("Allow", ("secretsmanager:*", "kms:Decrypt"), ("*",), {})]
    assert allowed(broad, Request("secretsmanager:GetSecretValue", f"{ARN_PREFIX}anything-AbC123"))
    assert allowed(broad, Request("kms:Decrypt", "<VaultKey.Arn>", {"kms:EncryptionContext:broker": "x"}))
    assert not allowed(
        [*broad, Statement("Deny", ("*",), ("*",), {})], Request("kms:Decrypt", "<VaultKey.Arn>")
    )
