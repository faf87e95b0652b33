"""Query cost independent of table size in moto's DynamoDB (a small, tested patch).

moto 5.2's ``Table.query`` walks (and sorts) every item of the table for each
query (``for item in self.all_items()``), so a reader query costs O(table): a
GET that takes 13 ms with 24 items takes seconds with a realistic data set.
DynamoDB itself reads one partition
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.html).

The patch leaves moto's query logic untouched and narrows only what it walks:

- a query on the table reads the one partition (``items[hash_key]``);
- a query on a local secondary index reads the one partition too (an LSI shares
  the table's partition key);
- a query on a global secondary index reads the items whose index partition key
  has the queried value, from a map kept per table and index, built on first use
  and kept current by every write moto makes (``Table.put_item``,
  ``Table.delete_item`` — which BatchWriteItem, TransactWriteItems and PartiQL go
  through — and ``update_item``, which changes an item in place). Changing a
  table's indexes drops the maps.

moto still applies every key condition, sort, page and filter to what it walks,
so a candidate set that is a superset of the matches gives moto's own answer;
the property tests compare both on random tables and operations. Written so it
can be offered upstream as it stands: the same narrowing inside ``Table.query``.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import GlobalSecondaryIndex, Table

_walking = threading.local()  # the candidates of the query running on this thread
_applied = False
_INDEX_ATTR = "_localenv_gsi_maps"

HashValues = tuple[DynamoType, ...]
Key = tuple[DynamoType, DynamoType | None]


@dataclass
class GsiMap:
    """An index's items by partition key value, and each item's value: a write moves
    one item between buckets without looking at the others (O(1), not O(buckets))."""

    buckets: dict[HashValues, dict[Key, Item]] = field(default_factory=dict)
    where: dict[Key, HashValues] = field(default_factory=dict)

    def bucket(self, values: HashValues) -> dict[Key, Item]:
        return self.buckets.get(values, {})


def apply() -> None:
    """Patch moto's DynamoDB model once per process (idempotent)."""
    global _applied  # noqa: PLW0603 - one patch per process
    if _applied:
        return
    _applied = True
    original_query, original_all = Table.query, Table.all_items
    Table.query = _narrowed_query(original_query)  # type: ignore[method-assign]
    Table.all_items = _candidate_items(original_all)  # type: ignore[method-assign,assignment]
    Table.put_item = _after_put(Table.put_item)  # type: ignore[method-assign]
    Table.delete_item = _after_delete(Table.delete_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_item = _after_update(DynamoDBBackend.update_item)  # type: ignore[method-assign]
    DynamoDBBackend.update_table_global_indexes = _dropping_maps(  # type: ignore[method-assign]
        DynamoDBBackend.update_table_global_indexes
    )


def _narrowed_query(query: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(query)

    @functools.wraps(query)
    def narrowed(table: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(table, *args, **kwargs).arguments
        whole = getattr(_walking, "whole_table", False)
        candidates = None if whole else candidates_for(table, bound["hash_key"], bound)
        previous = getattr(_walking, "scope", None)
        _walking.scope = (table, candidates) if candidates is not None else None
        try:
            return query(table, *args, **kwargs)
        finally:
            _walking.scope = previous

    return narrowed


@contextlib.contextmanager
def whole_table_walks() -> Iterator[None]:
    """moto's own behaviour on this thread: every query walks the whole table."""
    _walking.whole_table = True
    try:
        yield
    finally:
        _walking.whole_table = False


def _candidate_items(all_items: Callable[[Table], list[Item]]) -> Callable[[Table], list[Item]]:
    @functools.wraps(all_items)
    def items(table: Table) -> list[Item]:
        scope = getattr(_walking, "scope", None)
        if scope is not None and scope[0] is table:
            return list(scope[1])
        return all_items(table)

    return items


def candidates_for(table: Table, hash_key: Any, kwargs: dict[str, Any]) -> list[Item] | None:
    """The items a query may match, or None to let moto walk the whole table."""
    index_name = kwargs.get("index_name")
    if not index_name:
        return partition(table, hash_key) if isinstance(hash_key, DynamoType) else None
    index = {i.name: i for i in table.all_indexes()}.get(index_name)
    if index is None:
        return None  # moto raises its own ValidationException for an unknown index
    if not isinstance(index, GlobalSecondaryIndex):
        return partition(table, hash_key) if isinstance(hash_key, DynamoType) else None
    wanted = gsi_hash_values(index, kwargs.get("hash_key_conditions"), hash_key)
    if wanted is None:
        return None
    return list(gsi_map(table, index).bucket(wanted).values())


def partition(table: Table, hash_key: DynamoType) -> list[Item]:
    stored = table.items.get(hash_key)  # .get: moto's items is a defaultdict
    if stored is None:
        return []
    return list(stored.values()) if table.has_range_key else [stored]  # type: ignore[list-item]


def hash_attributes(index: GlobalSecondaryIndex) -> list[str]:
    return [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]


def gsi_hash_values(
    index: GlobalSecondaryIndex,
    conditions: list[tuple[str, DynamoType]] | None,
    hash_key: Any,
) -> HashValues | None:
    """The queried value of each of the index's partition key attributes."""
    names = hash_attributes(index)
    given = dict(conditions or [])
    if not given and len(names) == 1 and isinstance(hash_key, DynamoType):
        given = {names[0]: hash_key}
    if set(given) != set(names):
        return None
    return tuple(given[name] for name in names)


def gsi_map(table: Table, index: GlobalSecondaryIndex) -> GsiMap:
    maps: dict[str, GsiMap] = table.__dict__.setdefault(_INDEX_ATTR, {})
    if index.name not in maps:
        built = GsiMap()
        for item in _walk(table):
            _add(built, index, item)
        maps[index.name] = built
    return maps[index.name]


def _walk(table: Table) -> Iterable[Item]:
    for stored in table.items.values():
        yield from (stored.values() if table.has_range_key else [stored])  # type: ignore[misc]


def _key(item: Item) -> Key:
    return (item.hash_key, item.range_key)


def _add(built: GsiMap, index: GlobalSecondaryIndex, item: Item) -> None:
    values = tuple(item.attrs.get(name) for name in hash_attributes(index))
    if all(v is not None for v in values):
        built.buckets.setdefault(values, {})[_key(item)] = item  # type: ignore[arg-type]
        built.where[_key(item)] = values  # type: ignore[assignment]


def _remove(built: GsiMap, key: Key) -> None:
    values = built.where.pop(key, None)
    if values is not None:
        built.buckets[values].pop(key, None)


def _reindex(table: Table, old_key: Key, item: Item | None) -> None:
    maps: dict[str, GsiMap] = table.__dict__.get(_INDEX_ATTR, {})
    indexes = {i.name: i for i in table.global_indexes or []}
    for name, built in list(maps.items()):
        _remove(built, old_key)
        if item is not None and name in indexes:
            _add(built, indexes[name], item)


def _after_put(put_item: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(put_item)
    def put(table: Table, *args: Any, **kwargs: Any) -> Item:
        item = put_item(table, *args, **kwargs)
        _reindex(table, _key(item), item)
        return item

    return put


def _after_delete(delete_item: Callable[..., Item | None]) -> Callable[..., Item | None]:
    @functools.wraps(delete_item)
    def delete(table: Table, hash_key: Any, range_key: Any) -> Item | None:
        item = delete_item(table, hash_key, range_key)
        if item is not None:
            _reindex(table, _key(item), None)
        return item

    return delete


def _after_update(update_item: Callable[..., Item]) -> Callable[..., Item]:
    @functools.wraps(update_item)
    def update(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Item:
        item = update_item(backend, table_name, *args, **kwargs)
        _reindex(backend.get_table(table_name), _key(item), item)  # changed in place
        return item

    return update


def _dropping_maps(update: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(update)
    def drop(backend: DynamoDBBackend, table_name: str, *args: Any, **kwargs: Any) -> Any:
        backend.get_table(table_name).__dict__.pop(_INDEX_ATTR, None)
        return update(backend, table_name, *args, **kwargs)

    return drop
