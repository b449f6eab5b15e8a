"""Query on moto at the cost of the partition it reads.

moto answers a Query on a table's own key by listing and sorting every item of the table, then
keeping those of the asked partition: in the local stack, with one table for everything, a query
cost grows with every order ever placed and the Query path was the moto server's biggest consumer.
This hands moto's own query code only the asked partition's items (the ones it would have kept),
so filtering, ordering, paging and limits are still moto's (tested in
tests/integration/test_moto_queries.py against moto as shipped). Index queries are untouched.

A sort key condition (begins_with, between, <, ...) is applied to the partition first, as DynamoDB
reads only the matching key range: moto would otherwise size every item of the partition (a user's
dashboard read its positions at the cost of their whole order and trade history). Each partition
keeps its sort keys in order (SortedPartition), so the range is found by bisection, not by comparing
every key: a begins_with("POS#") query costs the positions it returns, not the partition's size."""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from typing import Any

_lock = threading.Lock()
_original: tuple[Any, ...] | None = None
_partition = threading.local()


class SortedPartition(dict[Any, Any]):
    """One partition of a table with a sort key: moto's dict of sort key to item, which also keeps its
    keys' values in order. moto only sets and pops single keys; anything else rebuilds the order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._order()

    def _order(self) -> None:
        self._keys = sorted(self, key=lambda k: k.cast_value)
        self._values = [k.cast_value for k in self._keys]

    def __setitem__(self, key: Any, value: Any) -> None:
        if key not in self:
            at = bisect.bisect_left(self._values, key.cast_value)
            self._values.insert(at, key.cast_value)
            self._keys.insert(at, key)
        super().__setitem__(key, value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(key)
        at = bisect.bisect_left(self._values, key.cast_value)
        del self._values[at], self._keys[at]

    def pop(self, key: Any, *default: Any) -> Any:
        if key in self:
            value = self[key]
            del self[key]
            return value
        return super().pop(key, *default)

    def _rebuilt(name: str) -> Any:  # type: ignore[misc]
        def method(self: SortedPartition, *args: Any, **kwargs: Any) -> Any:
            result = getattr(dict, name)(self, *args, **kwargs)
            self._order()
            return result

        return method

    update, setdefault, popitem, clear, __ior__ = map(
        _rebuilt, ("update", "setdefault", "popitem", "clear", "__ior__")
    )
    del _rebuilt

    def __reduce_ex__(self, protocol: Any) -> Any:  # a copy (moto's backups) orders itself again
        return (SortedPartition, (dict(self),))

    def key_range(self, comparison: str, values: list[Any]) -> list[Any]:
        """The keys a sort key condition can match, a superset of them for a comparison not ordered."""
        lo, hi = 0, len(self._values)
        first = values[0].cast_value if values else None
        if comparison in ("BEGINS_WITH", "EQ", "=", "BETWEEN", "GE", ">=", "GT", ">"):
            lo = bisect.bisect_left(self._values, first)
        if comparison == "BEGINS_WITH" and isinstance(first, str):
            hi = lo
            while hi < len(self._values) and self._values[hi].startswith(first):
                hi += 1
        elif comparison in ("EQ", "=", "LE", "<="):
            hi = bisect.bisect_right(self._values, first)
        elif comparison in ("LT", "<"):
            hi = bisect.bisect_left(self._values, first)
        elif comparison == "BETWEEN":
            hi = bisect.bisect_right(self._values, values[1].cast_value)
        return self._keys[lo:hi]


def install() -> None:
    global _original
    from moto.dynamodb.models.table import Table

    with _lock:
        if _original is not None:
            return
        query, all_items = Table.query, Table.all_items
        init = Table.__init__

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
            condition = getattr(_partition, "range", None)
            if isinstance(found, SortedPartition):
                keys = found.key_range(*condition) if condition is not None else found._keys
                items = [found[k] for k in keys]
            else:  # a partition from before install
                items = sorted(found.values(), key=lambda item: item.range_key)
            if condition is not None:
                items = [item for item in items if item.range_key.compare(*condition)]
            return items

        def sorted_init(self: Any, *args: Any, **kwargs: Any) -> None:
            init(self, *args, **kwargs)
            self.items = defaultdict(SortedPartition, self.items)

        Table.query, Table.all_items = partition_query, partition_items  # type: ignore[method-assign]
        Table.__init__ = sorted_init  # type: ignore[method-assign]
        _original = (query, all_items, init)


def uninstall() -> None:
    global _original
    from moto.dynamodb.models.table import Table

    with _lock:
        if _original is None:
            return
        Table.query, Table.all_items, Table.__init__ = _original  # type: ignore[method-assign]
        _original = None
