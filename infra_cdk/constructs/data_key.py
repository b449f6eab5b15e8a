"""The customer-managed KMS key that encrypts the state table and the order queues."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from constructs import Construct

from infra_cdk.stage import StageSettings


class DataKey(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: StageSettings) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{settings.catalogue.prefix}/data",
            description=f"NIJA {settings.stage}: state table and order queues",
            enable_key_rotation=True,
            removal_policy=settings.removal_policy,
            pending_window=Duration.days(30 if settings.is_prod else 7),
        )
