"""One FIFO order queue per broker, each with its FIFO dead-letter queue (alarmed in the service stack)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.stage import StageSettings
from nija.catalogue import QueueDef
from nija.domain.models import BrokerName


class OrderQueue(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: QueueDef,
        key: kms.IKey,
        settings: StageSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        common = {
            "fifo": True,
            # Producers pass MessageDeduplicationId = intent id; content hashing would hide bugs.
            "content_based_deduplication": False,
            # Message groups are users: dedup and throughput per group scale with the user count.
            "deduplication_scope": sqs.DeduplicationScope.MESSAGE_GROUP,
            "fifo_throughput_limit": sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            "encryption": sqs.QueueEncryption.KMS,
            "encryption_master_key": key,
            "enforce_ssl": True,
            "removal_policy": settings.removal_policy,
        }
        self.dlq = sqs.Queue(
            self,
            "Dlq",
            queue_name=definition.dlq_name,
            retention_period=Duration.seconds(definition.dlq_retention_s),
            **common,
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=definition.name,
            visibility_timeout=Duration.seconds(definition.visibility_timeout_s),
            retention_period=Duration.seconds(definition.retention_s),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dlq, max_receive_count=definition.max_receive_count
            ),
            **common,
        )
        # Its alarm (depth above 0, to the alarm topic) is in the service stack: constructs/observability.py.


class OrderQueues(Construct):
    """``queues[broker]`` for every broker in the catalogue."""

    def __init__(
        self, scope: Construct, construct_id: str, *, key: kms.IKey, settings: StageSettings
    ) -> None:
        super().__init__(scope, construct_id)
        self.by_broker: dict[BrokerName, OrderQueue] = {
            broker: OrderQueue(self, broker.value.capitalize(), definition=qdef, key=key, settings=settings)
            for broker, qdef in settings.catalogue.queues.items()
        }

    @property
    def queues(self) -> dict[BrokerName, sqs.Queue]:
        return {broker: oq.queue for broker, oq in self.by_broker.items()}
