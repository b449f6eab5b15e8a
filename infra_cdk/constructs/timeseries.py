"""Timestream for the time series (equity, fills, latency), behind the app's `timestream` flag.

Timestream for LiveAnalytics takes no new AWS customers since 2025-06-20, so it is off unless the
context says `-c timestream=true`: then the database and table exist and a function granted write
gets NIJA_TIMESTREAM_ENABLED=true and WriteRecords on that table only. Off, nothing is created and
the functions' port drops its points (nija.adapters.timestream.NoTimeSeries)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_timestream as timestream
from constructs import Construct

from nija.catalogue import Catalogue

MEMORY_RETENTION_HOURS = 24
MAGNETIC_RETENTION_DAYS = 400


def timestream_enabled(scope: Construct) -> bool:
    return str(scope.node.try_get_context("timestream") or "false").lower() in ("true", "1", "yes", "on")


class TimeSeriesStore(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, catalogue: Catalogue, enabled: bool) -> None:
        super().__init__(scope, construct_id)
        self.enabled = enabled
        self.table: timestream.CfnTable | None = None
        if not enabled:
            return
        database = timestream.CfnDatabase(self, "Database", database_name=catalogue.timestream_database)
        self.table = timestream.CfnTable(
            self,
            "Table",
            database_name=catalogue.timestream_database,
            table_name=catalogue.timestream_table,
            retention_properties={
                "MemoryStoreRetentionPeriodInHours": str(MEMORY_RETENTION_HOURS),
                "MagneticStoreRetentionPeriodInDays": str(MAGNETIC_RETENTION_DAYS),
            },
        )
        self.table.add_dependency(database)
        self.table.apply_removal_policy(RemovalPolicy.RETAIN)
        database.apply_removal_policy(RemovalPolicy.RETAIN)

    def grant_write(self, fn: lambda_.Function) -> None:
        """Write to the table (and Timestream's endpoint discovery), and switch the port on. Off: nothing."""
        if self.table is None:
            return
        fn.add_environment("NIJA_TIMESTREAM_ENABLED", "true")
        fn.add_to_role_policy(
            iam.PolicyStatement(actions=["timestream:WriteRecords"], resources=[self.table.attr_arn])
        )
        # DescribeEndpoints has no resource-level permissions: "*" is the only form IAM accepts.
        fn.add_to_role_policy(iam.PolicyStatement(actions=["timestream:DescribeEndpoints"], resources=["*"]))
