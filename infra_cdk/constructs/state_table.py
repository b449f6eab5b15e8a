"""A DynamoDB table shaped by a catalogue ``TableDef``: the state table and the audit table."""

from __future__ import annotations

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra_cdk.stage import StageSettings
from nija.adapters.dynamo.keys import StreamFilter
from nija.catalogue import Index, KeyAttr, TableDef

_TYPES = {
    "S": dynamodb.AttributeType.STRING,
    "N": dynamodb.AttributeType.NUMBER,
    "B": dynamodb.AttributeType.BINARY,
}


READ_ACTIONS = (
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
WRITE_ACTIONS = ("dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem")
# What an append-only table refuses to every principal, whatever their IAM policies allow: a record
# once written is never changed or removed (PutItem on an existing key fails its does-not-exist
# condition; BatchWriteItem cannot carry a condition, so it is refused too).
CHANGE_ACTIONS = (
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLUpdate",
    "dynamodb:UpdateItem",
)


def _attr(attr: KeyAttr) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=attr.name, type=_TYPES[attr.type])


def _index(index: Index) -> dynamodb.GlobalSecondaryIndexPropsV2:
    """The catalogue's index, its projection included (the local stack creates the same)."""
    return dynamodb.GlobalSecondaryIndexPropsV2(
        index_name=index.name,
        partition_key=_attr(index.partition_key),
        sort_key=_attr(index.sort_key) if index.sort_key else None,
        projection_type=dynamodb.ProjectionType(index.projection),
        non_key_attributes=list(index.include) or None,
    )


def stream_key_rules(kept: StreamFilter) -> dict[str, object]:
    """An event source filter's rules on a stream record's keys: the partition key under the filter's
    prefix, the sort key under any of its prefixes (a list of rules is ORed, so more kinds of item
    never meet an event source's limit of 5 filters). The local pollers apply ``kept.keeps``."""
    return {
        "pk": {"S": lambda_.FilterRule.begins_with(kept.pk_prefix)},
        "sk": {"S": [rule for p in kept.sk_prefixes for rule in lambda_.FilterRule.begins_with(p)]},
    }


class StateTable(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definition: TableDef,
        key: kms.IKey,
        settings: StageSettings,
    ) -> None:
        super().__init__(scope, construct_id)
        self.definition = definition
        self.key = key
        self.table = dynamodb.TableV2(
            self,
            "Table",
            table_name=definition.name,
            partition_key=_attr(definition.partition_key),
            sort_key=_attr(definition.sort_key) if definition.sort_key else None,
            global_secondary_indexes=[_index(index) for index in definition.indexes],
            billing=dynamodb.Billing.on_demand(),
            encryption=dynamodb.TableEncryptionV2.customer_managed_key(key),
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=definition.ttl_attribute,
            dynamo_stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES if definition.stream else None,
            deletion_protection=settings.deletion_protection,
            removal_policy=settings.removal_policy,
            resource_policy=_append_only_policy() if definition.append_only else None,
        )

    def grant_data(self, grantee: iam.IGrantable, *, write: bool) -> None:
        """Like ``grant_read(_write)_data``, but naming each catalogue index instead of ``index/*``."""
        arn = self.table.table_arn
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=[*READ_ACTIONS, *(WRITE_ACTIONS if write else ())],
            resource_arns=[arn, *(f"{arn}/index/{index.name}" for index in self.definition.indexes)],
        )
        if write:
            self.key.grant_encrypt_decrypt(grantee)
        else:
            self.key.grant_decrypt(grantee)

    def grant_append(self, grantee: iam.IGrantable) -> None:
        """Append to the audit log: PutItem, and Query to read a chain's head (its newest record) before
        linking after it. No update or delete, no index."""
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:PutItem", "dynamodb:Query"],
            resource_arns=[self.table.table_arn],
        )
        self.key.grant_encrypt_decrypt(grantee)

    def grant_search(self, grantee: iam.IGrantable) -> None:
        """Read the audit log (admin search and verification): Query on the table and its catalogue
        indexes, GetItem and BatchGetItem on the table (the indexes hold keys: a page of records is
        read from the table by key), nothing else."""
        arn = self.table.table_arn
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:Query"],
            resource_arns=[f"{arn}/index/{index.name}" for index in self.definition.indexes],
        )
        iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:Query"],
            resource_arns=[arn],
        )
        self.key.grant_decrypt(grantee)


def _append_only_policy() -> iam.PolicyDocument:
    return iam.PolicyDocument(
        statements=[
            iam.PolicyStatement(
                sid="AppendOnly",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=list(CHANGE_ACTIONS),
                resources=["*"],
            )
        ]
    )
