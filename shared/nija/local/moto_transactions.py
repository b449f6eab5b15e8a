"""TransactWriteItems on moto at a cost that does not grow with the table.

moto makes a transaction all-or-nothing by deep-copying every table it touches before it starts, and
each table carries its stream records for its whole life: in the local stack one order's transaction
copied tens of thousands of objects, and throughput fell as the table grew (2.8 orders a second after
a few hundred orders). This keeps moto's own transaction code (validation, conditions, cancellation
reasons) and replaces only the snapshot: before the call, a copy of just the items the transaction
names and the length of each table's stream; on failure, those items are put back and the stream
records the failed transaction wrote are dropped. The outcome a client sees is unchanged (tested in
tests/integration/test_moto_transactions.py against the same cases as moto's own rollback)."""

from __future__ import annotations

import copy
import threading
import types
from typing import Any

_lock = threading.Lock()
_original: Any = None


class _Snapshot:
    """The part of the tables a transaction can change: the items it names and each stream's length."""

    def __init__(self, backend: Any, transact_items: list[dict[str, Any]]) -> None:
        self.items: list[tuple[Any, Any, Any, Any]] = []
        self.streams: dict[str, tuple[Any, int]] = {}
        for entry in transact_items:
            op = next(iter(entry.values()), None)
            table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
            if table is None:
                continue  # moto itself rejects it, before writing anything
            source = op.get("Item") if "Item" in op else op.get("Key")
            try:
                hash_value, range_value = _key(table, source or {})
            except (KeyError, TypeError, AttributeError):
                continue  # an invalid key: moto raises a validation error for it
            current = table.get_item(hash_value, range_value)
            self.items.append((table, hash_value, range_value, copy.deepcopy(current)))
            if table.stream_shard is not None and table.name not in self.streams:
                self.streams[table.name] = (table.stream_shard, len(table.stream_shard.items))

    def restore(self) -> None:
        for table, hash_value, range_value, item in reversed(self.items):
            if range_value is None:
                if item is None:
                    table.items.pop(hash_value, None)
                else:
                    table.items[hash_value] = item
            elif item is None:
                table.items.get(hash_value, {}).pop(range_value, None)
                if hash_value in table.items and not table.items[hash_value]:
                    del table.items[hash_value]
            else:
                table.items[hash_value][range_value] = item
        for shard, length in self.streams.values():
            del shard.items[length:]


def _key(table: Any, attrs: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_value = DynamoType(attrs[table.hash_key_attr])
    range_value = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return hash_value, range_value


class _TablesAsIs(types.ModuleType):
    """moto's models module's view of `copy`: deep copies as usual, except of a whole table."""

    def __init__(self) -> None:
        super().__init__("copy")

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        from moto.dynamodb.models.table import Table

        return value if isinstance(value, Table) else copy.deepcopy(value, memo)


def install() -> None:
    """Patch moto in this process (the local stack's moto server, or in-process `mock_aws`)."""
    global _original
    import moto.dynamodb.models as models

    with _lock:
        if _original is not None:
            return
        original = models.DynamoDBBackend.transact_write_items

        def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
            snapshot = _Snapshot(self, transact_items)
            try:
                original(self, transact_items)
            except Exception:
                snapshot.restore()
                raise

        models.copy = _TablesAsIs()  # type: ignore[attr-defined]
        models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
        _original = original


def uninstall() -> None:
    """Back to moto as shipped (the parity test runs the same cases both ways)."""
    global _original
    import moto.dynamodb.models as models

    with _lock:
        if _original is None:
            return
        models.copy = copy  # type: ignore[attr-defined]
        models.DynamoDBBackend.transact_write_items = _original  # type: ignore[method-assign]
        _original = None
