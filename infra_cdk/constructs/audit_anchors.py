"""Audit anchors: the write-once bucket (S3 Object Lock, compliance mode) that holds each audit chain's
head, and the hourly function that puts them there (nija.domain.audit_anchor). With the heads out of
DynamoDB, removing a chain's newest records or rewriting a chain is caught by verification."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra_cdk.constructs.functions import NijaFunction
from infra_cdk.constructs.nag import KMS_DATA_KEY_ACTIONS, acknowledge
from infra_cdk.constructs.state_table import StateTable
from infra_cdk.stage import StageSettings
from nija.domain.audit_anchor import ANCHOR_EVERY, ANCHOR_KEY

ANCHOR_PERIOD = Duration.seconds(ANCHOR_EVERY.total_seconds())  # the schedule, and its alarms' period


class AnchorBucket(Construct):
    """In the data stack: retained whatever the stage (a locked object cannot be deleted, so neither can
    a bucket holding one), encrypted with the data key, private, TLS only."""

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            object_lock_enabled=True,
            versioned=True,  # as Object Lock requires: each anchor is a version of one object
            object_lock_default_retention=s3.ObjectLockRetention.compliance(
                Duration.days(settings.audit_anchor_retention_days)
            ),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.bucket,
            {
                "AwsSolutions-S1": "Only the anchoring function writes here, once an hour, and Object Lock "
                "in compliance mode keeps every object unchangeable; server access logs would record "
                "nothing an operator acts on.",
            },
        )

    @property
    def environment(self) -> dict[str, str]:
        return {"NIJA_AUDIT_ANCHOR_BUCKET": self.bucket.bucket_name}

    def _grant(self, grantee: iam.IGrantable, *actions: str) -> None:
        # The one anchor object (its versions are the history), not the bucket's other keys; and
        # ListBucket, without which S3 answers a GET of the not yet written first anchor 403, not 404.
        iam.Grant.add_to_principal(
            grantee=grantee, actions=list(actions), resource_arns=[self.bucket.arn_for_objects(ANCHOR_KEY)]
        )
        iam.Grant.add_to_principal(
            grantee=grantee, actions=["s3:ListBucket"], resource_arns=[self.bucket.bucket_arn]
        )

    def grant_verify(self, grantee: iam.IGrantable) -> None:
        """Read the latest anchor (GET /admin/audit/verify compares a chain with it)."""
        self._grant(grantee, "s3:GetObject")
        self.key.grant_decrypt(grantee)

    def grant_anchor(self, grantee: iam.IGrantable) -> None:
        """Read the latest anchor and put the next: no delete, no retention change (the bucket's
        default retention applies to every put)."""
        self._grant(grantee, "s3:GetObject", "s3:PutObject")
        self.key.grant_encrypt_decrypt(grantee)


class AuditAnchorJob(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        audit: StateTable,
        anchors: AnchorBucket,
        layers: list[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.function = NijaFunction(
            self,
            "Function",
            definition=cat.audit_anchor,
            settings=settings,
            layers=layers,
            environment=anchors.environment,
            description="NIJA audit anchors: every chain's head into the write-once bucket, hourly",
        )
        audit.grant_search(self.function.function)  # the records appended since the last anchor (by time)
        anchors.grant_anchor(self.function.function)
        events.Rule(
            self,
            "Schedule",
            rule_name=cat.audit_anchor_rule_name,
            description="NIJA audit anchors",
            schedule=events.Schedule.rate(ANCHOR_PERIOD),
            targets=[targets.LambdaFunction(self.function.function)],
        )
        acknowledge(self.function.function, KMS_DATA_KEY_ACTIONS)
