"""Stateful resources: the data key, the vault key, the state and audit tables, the audit anchors'
bucket and the order queues."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from constructs import Construct

from infra_cdk.constructs.audit_anchors import AnchorBucket
from infra_cdk.constructs.data_key import DataKey
from infra_cdk.constructs.order_queues import OrderQueues
from infra_cdk.constructs.state_table import StateTable
from infra_cdk.constructs.vault import VaultKey
from infra_cdk.stage import StageSettings


class DataStack(Stack):
    def __init__(
        self, scope: Construct, construct_id: str, *, settings: StageSettings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        cat = settings.catalogue
        self.key = DataKey(self, "DataKey", settings=settings).key
        # The vault's own key (not the tables' data key): here, with the other retained state, so that
        # the service stack's roles and functions reference it and nothing points back.
        self.vault = VaultKey(self, "VaultKey", settings=settings)
        self.state = StateTable(
            self, cat.state_table.logical_id, definition=cat.state_table, key=self.key, settings=settings
        )
        self.table = self.state.table
        # Its own table so that writers get PutItem on it and nothing else.
        self.audit = StateTable(
            self, cat.audit_table.logical_id, definition=cat.audit_table, key=self.key, settings=settings
        )
        # Each audit chain's head, write-once, out of the tables' reach (nija.domain.audit_anchor).
        self.anchors = AnchorBucket(self, "AuditAnchors", settings=settings, key=self.key)
        self.order_queues = OrderQueues(self, "OrderQueues", key=self.key, settings=settings)

        CfnOutput(self, "StateTableName", value=self.table.table_name)
        CfnOutput(self, "AuditTableName", value=self.audit.table.table_name)
        CfnOutput(self, "AuditAnchorBucket", value=self.anchors.bucket.bucket_name)
        for broker, queue in self.order_queues.queues.items():
            CfnOutput(
                self,
                f"OrderQueueUrl{broker.value.capitalize()}",
                description=f"Order queue for {broker.value}",
                value=queue.queue_url,
            )
