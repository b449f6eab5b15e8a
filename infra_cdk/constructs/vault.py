"""The vault's customer-managed KMS key, and the only two ways into the vault: the API writes, the
executors read, each executor its own broker's keys only; the account erasure deletes.

One secret per user holds every broker's keys, a version per broker labelled with the broker's name
(nija.adapters.vault); the paper broker's keys are not kept (its executor gets no grant here).

Two uses of the key meet here (see nija.adapters.vault):

- our envelope: the API calls ``kms:GenerateDataKey`` and the executor ``kms:Decrypt`` directly, with
  the encryption context ``{user_id, broker}``;
- Secrets Manager's own encryption of each secret value under the same key, which it does on the
  caller's behalf (``kms:ViaService`` = ``secretsmanager.<region>.amazonaws.com``) with the context
  ``{SecretARN, SecretVersionId}``: ``GenerateDataKey`` for CreateSecret/PutSecretValue, ``Decrypt`` for
  GetSecretValue.

So the executor of broker B may read only versions labelled B (``secretsmanager:VersionStage``) and
decrypt directly only when the context says ``broker = B``. The API may make data keys for any
``{user_id, broker}`` and let Secrets Manager encrypt new values, but never read one: it has no
``GetSecretValue``, and its only ``kms:Decrypt`` is the check Secrets Manager makes when a secret is
created under a customer-managed key (context ``SecretVersionId = RequestToValidateKeyAccess``).

The dashboard API erases an account (DELETE /v1/me): ``secretsmanager:DeleteSecret`` on the stage's
secrets and nothing else, no key use at all (deleting a secret reads nothing and needs no key).

The operator's ``nija vault rewrap`` reads and re-writes every secret. No Lambda role may do both: the
command runs with the operator's own IAM credentials (their administrator role or SSO permission set,
outside this app), which this key admits because its key policy delegates to IAM in this account
(CDK's default policy: the account root, no other principal). Nothing is deployed for it.
"""

from __future__ import annotations

from aws_cdk import Aws, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra_cdk.constructs.nag import acknowledge
from infra_cdk.stage import StageSettings
from nija.catalogue import VAULT_BROKER_KEY, VAULT_CONTEXT_KEYS, VAULT_USER_KEY
from nija.domain.models import BrokerName

# The encryption context value Secrets Manager uses when it checks that the caller may use the key
# (CreateSecret with a customer-managed key calls GenerateDataKey and Decrypt with it).
SM_KEY_CHECK_VERSION = "RequestToValidateKeyAccess"
# Secrets Manager's suffix on every secret ARN: a dash and six random characters.
ARN_SUFFIX = "-??????"

EXECUTOR_SECRET_ACTIONS = ("secretsmanager:GetSecretValue",)


def secret_arn(name_pattern: str) -> str:
    """A secret ARN (or pattern) in this stack's account and region; findings read it with <AWS::…>."""
    return f"arn:{Aws.PARTITION}:secretsmanager:{Aws.REGION}:{Aws.ACCOUNT_ID}:secret:{name_pattern}"


def via_secrets_manager() -> str:
    return f"secretsmanager.{Aws.REGION}.amazonaws.com"


def nag_secret_pattern(name_pattern: str) -> str:
    """How cdk-nag spells ``secret_arn(name_pattern)`` in an IAM5 finding."""
    return f"arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:{name_pattern}"


def _acknowledge(grantee: iam.IGrantable, name_pattern: str, reason: str) -> None:
    """Acknowledge the wildcard secret resource granted to ``grantee`` (a function or role)."""
    if not isinstance(grantee, Construct):
        raise TypeError(f"acknowledge the vault findings on a construct, not {grantee!r}")
    acknowledge(grantee, {f"AwsSolutions-IAM5[Resource::{nag_secret_pattern(name_pattern)}]": reason})


class VaultKey(Construct):
    """The vault's KMS key (its own, not the tables' data key), aliased ``catalogue.vault_key_alias``.

    It lives in the data stack (stateful, retained in prod); the grants below are added to roles in
    the service stack, which reference the key by ARN, so nothing points back at the service stack.
    """

    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.catalogue = settings.catalogue
        self.key = kms.Key(
            self,
            "Key",
            alias=self.catalogue.vault_key_alias,
            description=f"NIJA {settings.stage}: the vault's data keys and its Secrets Manager secrets",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
            pending_window=Duration.days(30 if settings.is_prod else 7),
        )

    @property
    def key_arn(self) -> str:
        return self.key.key_arn

    def _allow(
        self,
        grantee: iam.IGrantable,
        sid: str,
        actions: tuple[str, ...],
        resources: list[str],
        conditions: dict[str, dict[str, object]],
    ) -> None:
        # Each statement has a Sid: it reads as one grant in the template, and the tests find it by name.
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(sid=sid, actions=list(actions), resources=resources, conditions=conditions)
        )

    def grant_read(self, grantee: iam.IGrantable, broker: BrokerName) -> None:
        """An executor: read every user's version labelled ``broker`` and open its data keys; no more.

        One secret per user holds every broker's keys, a version each, labelled with the broker's
        name (nija.adapters.vault): the version stage condition keeps each executor to its broker's
        versions (a version with no label, or another broker's, is refused), the encryption context
        condition to its broker's data keys."""
        b = broker.value
        secrets = secret_arn(self.catalogue.secret_name_pattern + ARN_SUFFIX)
        self._allow(
            grantee,
            f"VaultRead{b.capitalize()}Versions",
            EXECUTOR_SECRET_ACTIONS,
            [secrets],
            {"ForAnyValue:StringEquals": {"secretsmanager:VersionStage": [b]}},
        )
        self._allow(
            grantee,
            f"VaultOpen{b.capitalize()}DataKeys",
            ("kms:Decrypt",),
            [self.key_arn],
            {"StringEquals": {f"kms:EncryptionContext:{VAULT_BROKER_KEY}": b}},
        )
        self._allow(
            grantee,
            f"VaultDecrypt{b.capitalize()}ViaSecretsManager",
            ("kms:Decrypt",),
            [self.key_arn],
            {
                "StringEquals": {"kms:ViaService": via_secrets_manager()},
                "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
            },
        )
        _acknowledge(
            grantee,
            self.catalogue.secret_name_pattern + ARN_SUFFIX,
            f"One secret per user; user ids are only known at run time, so the executor reads by name "
            f"pattern, only versions labelled {b}, and opens only data keys bound to broker={b}.",
        )

    def grant_delete(self, grantee: iam.IGrantable) -> None:
        """The account erasure (DELETE /v1/me): delete a user's secrets by name, nothing else: no
        read, no write, no describe, no use of the key (deleting a secret needs none)."""
        self._allow(
            grantee,
            "VaultDeleteSecrets",
            ("secretsmanager:DeleteSecret",),
            [secret_arn(self.catalogue.secret_name_pattern + ARN_SUFFIX)],
            {},
        )
        _acknowledge(
            grantee,
            self.catalogue.secret_name_pattern + ARN_SUFFIX,
            "An erased account's secret is deleted by name under the stage's prefix (user ids are "
            "only known at run time); DeleteSecret is the only vault action this role holds.",
        )

    def grant_write(self, grantee: iam.IGrantable) -> None:
        """The API: create a user's secret, put and unlabel broker versions, delete it, and make
        data keys; never read a value back."""
        secrets = secret_arn(self.catalogue.secret_name_pattern + ARN_SUFFIX)
        tagged = {
            "ForAllValues:StringEquals": {"aws:TagKeys": [VAULT_USER_KEY]},
            "Null": {f"aws:RequestTag/{VAULT_USER_KEY}": "false"},
        }
        # Created tagged with the user's id and under the vault key (the adapter passes
        # NIJA_VAULT_KEY_ID, the key ARN); tagging at creation also needs TagResource, held to that tag.
        self._allow(
            grantee,
            "VaultCreateTaggedSecrets",
            ("secretsmanager:CreateSecret",),
            [secrets],
            {**tagged, "StringEquals": {"secretsmanager:KmsKeyId": self.key_arn}},
        )
        self._allow(grantee, "VaultTagSecrets", ("secretsmanager:TagResource",), [secrets], tagged)
        # Put a broker's version, take a broker's label off (DescribeSecret finds its version: labels
        # and ids, no value), delete: by name only. The adapter puts first and creates the secret upon
        # ResourceNotFoundException; a secret that does not exist has no tags to match, so under a
        # resource-tag condition that first put would most likely be refused (AccessDenied) instead.
        self._allow(
            grantee,
            "VaultReplaceDeleteSecrets",
            (
                "secretsmanager:PutSecretValue",
                "secretsmanager:UpdateSecretVersionStage",
                "secretsmanager:DeleteSecret",
                "secretsmanager:DescribeSecret",
            ),
            [secrets],
            {},
        )
        self._allow(
            grantee,
            "VaultMakeDataKeys",
            ("kms:GenerateDataKey",),
            [self.key_arn],
            {
                "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": list(VAULT_CONTEXT_KEYS)},
                "Null": {f"kms:EncryptionContext:{k}": "false" for k in (VAULT_USER_KEY, VAULT_BROKER_KEY)},
            },
        )
        self._allow(
            grantee,
            "VaultEncryptViaSecretsManager",
            ("kms:GenerateDataKey",),
            [self.key_arn],
            {
                "StringEquals": {"kms:ViaService": via_secrets_manager()},
                "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
            },
        )
        # Secrets Manager checks the caller may use the key when a secret is created under it (a
        # GenerateDataKey and a Decrypt it discards). PutSecretValue decrypts only to compare a retried
        # request's value with a version that already exists: botocore makes a fresh version id per
        # call, so that happens only when a retry follows a lost answer, and fails safe (an error, the
        # caller tries again). This Decrypt opens nothing: its context never names a real version.
        self._allow(
            grantee,
            "VaultKeyCheckViaSecretsManager",
            ("kms:Decrypt",),
            [self.key_arn],
            {
                "StringEquals": {
                    "kms:ViaService": via_secrets_manager(),
                    "kms:EncryptionContext:SecretVersionId": SM_KEY_CHECK_VERSION,
                },
                "StringLike": {"kms:EncryptionContext:SecretARN": secrets},
            },
        )
        _acknowledge(
            grantee,
            self.catalogue.secret_name_pattern + ARN_SUFFIX,
            "One secret per user under the stage's prefix; user ids are only known at run time. "
            "Creation requires the user_id tag and the vault key; nothing reads a value.",
        )
