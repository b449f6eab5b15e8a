"""Query on moto at the cost of the partition it reads.

moto answers a Query on a table's own key by listing and sorting every item of the table, then
keeping those of the asked partition: in the local stack, with one table for everything, a query
cost grows with every order ever placed and the Query path was the moto server's biggest consumer.
This hands moto's own query code only the asked partition's items (the ones it would have kept),
so filtering, ordering, paging and limits are still moto's (tested in
tests/integration/test_moto_queries.py against moto as shipped). Index queries are untouched.

A sort key condition (begins_with, between, <, ...) is applied to the partition first, as DynamoDB
reads only the matching key range: moto would otherwise size every item of the partition (a user's
dashboard read its positions at the cost of their whole order and trade history)."""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
_original: tuple[Any, Any] | None = None
_partition = threading.local()


def install() -> None:
    global _original
    from moto.dynamodb.models.table import Table

    with _lock:
        if _original is not None:
            return
        query, all_items = Table.query, Table.all_items

        def partition_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
            index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
            if index_name or hash_key is None:
                return query(self, hash_key, *args, **kwargs)
            _partition.key = hash_key
            comparison = args[0] if args else kwargs.get("range_comparison")
            conditions = kwargs.get("range_key_conditions") or []
            _partition.range = (comparison, args[1] if len(args) > 1 else kwargs.get("range_objs"))
            if not comparison or len(conditions) > 1:
                _partition.range = None
            try:
                return query(self, hash_key, *args, **kwargs)
            finally:
                _partition.key = _partition.range = None

        def partition_items(self: Any) -> Any:
            key = getattr(_partition, "key", None)
            if key is None:
                return all_items(self)
            found = self.items.get(key)
            if not found:
                return []
            if not self.range_key_attr:
                return [found]
            items = found.values()
            if (condition := getattr(_partition, "range", None)) is not None:
                items = [item for item in items if item.range_key.compare(*condition)]
            return sorted(items, key=lambda item: item.range_key)

        Table.query, Table.all_items = partition_query, partition_items  # type: ignore[method-assign]
        _original = (query, all_items)


def uninstall() -> None:
    global _original
    from moto.dynamodb.models.table import Table

    with _lock:
        if _original is None:
            return
        Table.query, Table.all_items = _original  # type: ignore[method-assign]
        _original = None
