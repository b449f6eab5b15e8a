"""The audit writer: the state table's stream, filtered to the audit outbox (nija.domain.audit_outbox),
appends each event to its chain in the audit table. Unlike the stream processor's pushes, an audit
record is never given up on: the event source retries a failing batch (split in halves down to the
failing record) until the record leaves the stream, and a batch it had to drop is named on an
encrypted queue that alarms (Observability)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra_cdk.constructs.functions import NijaFunction
from infra_cdk.constructs.nag import KMS_DATA_KEY_ACTIONS, acknowledge
from infra_cdk.constructs.state_table import StateTable, stream_key_rules
from infra_cdk.stage import StageSettings
from nija.adapters.dynamo.outbox_records import OUTBOX_FILTER

BATCH_SIZE = 100


def outbox_filter() -> dict[str, object]:
    """Only the outbox's inserts invoke the writer (its TTL removals and every other item do not)."""
    return lambda_.FilterCriteria.filter(
        {
            "eventName": lambda_.FilterRule.is_equal("INSERT"),
            "dynamodb": {"Keys": stream_key_rules(OUTBOX_FILTER)},
        }
    )


class AuditWriter(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: StageSettings,
        state: StateTable,
        audit: StateTable,
        key: kms.IKey,
        layers: list[lambda_.ILayerVersion],
    ) -> None:
        super().__init__(scope, construct_id)
        cat = settings.catalogue
        self.function = NijaFunction(
            self,
            "Function",
            definition=cat.audit_writer,
            settings=settings,
            layers=layers,
            description="NIJA audit writer: the state table's audit outbox, each event into its hash chain once",
        )
        audit.grant_append(self.function.function)
        # Where the event source names a batch it dropped (the records left the stream's 24 hours).
        self.failed = sqs.Queue(
            self,
            "Failed",
            queue_name=f"{cat.prefix}-audit-writer-failed",
            retention_period=Duration.days(14),
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            removal_policy=settings.removal_policy,
        )
        self.function.function.add_event_source(
            sources.DynamoEventSource(
                state.table,
                # From the oldest record: a writer (re)created after outbox items were written
                # still appends them.
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=BATCH_SIZE,
                bisect_batch_on_error=True,
                report_batch_item_failures=True,
                # retry_attempts and max_record_age unset: retried until the record leaves the stream.
                on_failure=sources.SqsDlq(self.failed),
                filters=[outbox_filter()],
            )
        )
        acknowledge(self.function.function, KMS_DATA_KEY_ACTIONS)
        acknowledge(
            self.failed,
            {
                "AwsSolutions-SQS3": "This queue is the audit writer's on-failure destination (a dead-letter "
                "queue for its stream event source): it has no dead-letter queue of its own."
            },
        )
