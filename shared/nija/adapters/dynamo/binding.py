"""Binding the storage models to the current settings' tables: one connection per table, made on
first use (never at import time), dropped with the settings."""

from __future__ import annotations

from typing import Any

from pynamodb.connection.base import MetaTable
from pynamodb.connection.table import TableConnection

from nija.adapters.dynamo.models import ALL_MODELS
from nija.catalogue import KeyAttr, TableDef
from nija.config import get_settings, on_reset

_bound: dict[str, Any] = {}


def _table_connection(table: TableDef, endpoint: str | None, region: str) -> TableConnection:
    """One connection for the whole table, described from the catalogue (every key and index).

    pynamodb would give each model class its own connection, each with its own botocore session
    and client, and a new client costs ~50-100 ms to load its service model: on a cold start that
    is paid once per model class touched. All our models live in one table, so they share one.
    """

    def key_schema(pk: KeyAttr, sk: KeyAttr | None) -> list[dict[str, str]]:
        return [{"AttributeName": pk.name, "KeyType": "HASH"}] + (
            [{"AttributeName": sk.name, "KeyType": "RANGE"}] if sk else []
        )

    meta = MetaTable(
        {
            "TableName": table.name,
            "KeySchema": key_schema(table.partition_key, table.sort_key),
            "AttributeDefinitions": [
                {"AttributeName": a.name, "AttributeType": a.type} for a in table.attributes
            ],
            "GlobalSecondaryIndexes": [
                {"IndexName": i.name, "KeySchema": key_schema(i.partition_key, i.sort_key)}
                for i in table.indexes
            ],
            "LocalSecondaryIndexes": [],
        }
    )
    return TableConnection(
        table.name,
        meta_table=meta,
        region=region,
        host=endpoint,
        connect_timeout_seconds=2,
        read_timeout_seconds=10,
        max_retry_attempts=3,
    )


def bind() -> None:
    """Point every model at the state table of the current settings (idempotent, cheap)."""
    settings = get_settings()
    table = settings.catalogue.state_table
    key = (table.name, settings.aws_endpoint_url, settings.region)
    if _bound.get("key") == key:
        return
    from nija.adapters.dynamo.audit_models import AUDIT_MODELS  # its module builds on StateItem

    for models, definition in ((ALL_MODELS, table), (AUDIT_MODELS, settings.catalogue.audit_table)):
        connection = _table_connection(definition, settings.aws_endpoint_url, settings.region)
        for model in models:
            meta: Any = model.Meta
            meta.table_name = definition.name
            meta.host = settings.aws_endpoint_url
            meta.region = settings.region
            model._connection = connection
    _bound["key"] = key


@on_reset
def unbind() -> None:
    _bound.clear()
