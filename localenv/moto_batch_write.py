"""moto 5.2's ``BatchWriteItem`` duplicate check, on what it compares.

moto refuses a batch with "Provided list of item keys contains duplicates" when two
put requests carry equal items, or two delete requests equal keys, and finds them by
JSON-encoding every whole item of the batch (``dynamo_json_dump``) and looking each
string up in a list: for a batch of large items, about a quarter of the stack
process's time in a 4 MiB upload. The patch compares a structure that is equal
exactly when moto's JSON strings are (``json_form``: the same values, in the same
order, without encoding them), pairwise as moto does; two different items differ
in their first bytes (the key), where the comparison stops.

It also refuses what moto lets through and DynamoDB refuses: two requests on one
primary key of one table, whatever else the items hold, a put and a delete
included ("You try to perform multiple operations on the same item in the same
BatchWriteItem request", "at least two items with identical hash and range keys",
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html),
with the same message. Keys are compared as moto stores them (``DynamoType``: the
number 1 is the number 1.0); the same key, or the same whole item, in two tables is
no duplicate (moto refused equal whole items in two tables; DynamoDB writes both).

Written so it can be offered upstream as it stands: ``DynamoHandler.batch_write_item``
with its duplicate check replaced.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import MockValidationException
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import dynamo_json_dump
from moto.dynamodb.responses import DynamoHandler, validate_put_has_empty_keys

DUPLICATES = "Provided list of item keys contains duplicates"
EMPTY_KEY = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute "
    "cannot contain an empty string value. Key: {}"
)
# A primary key's attribute types: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_AttributeDefinition.html
KEY_TYPES = frozenset({"S", "N", "B"})
ORIGINAL_BATCH_WRITE_ITEM = DynamoHandler.batch_write_item  # kept for the tests that compare both

Request = tuple[str, Table, dict[str, Any]]  # the name as sent, the table, item or key


def apply() -> None:
    DynamoHandler.batch_write_item = batch_write_item  # type: ignore[method-assign]


def batch_write_item(self: DynamoHandler) -> ActionResult:
    """moto's ``batch_write_item``: the same checks in the same order, the duplicate
    check on keys and ``json_form`` instead of whole items encoded as JSON."""
    table_batches = self.body["RequestItems"]
    puts, deletes = write_requests(self, table_batches)
    if has_duplicates(puts, deletes):
        raise MockValidationException(DUPLICATES)
    for table_name, _, item in puts:
        self.dynamodb_backend.put_item(table_name, item)
    for table_name, _, keys in deletes:
        self.dynamodb_backend.delete_item(table_name, keys)
    return ActionResult(
        {
            "ConsumedCapacity": [
                {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
                for name in table_batches
            ],
            "ItemCollectionMetrics": {},
            "UnprocessedItems": {},
        }
    )


def write_requests(
    handler: DynamoHandler, table_batches: dict[str, Any]
) -> tuple[list[Request], list[Request]]:
    """The puts and deletes of a batch, each table looked up and each put's key checked
    for empty values, in moto's order (the first error found is the one answered)."""
    puts: list[Request] = []
    deletes: list[Request] = []
    for table_name, table_requests in table_batches.items():
        table = handler.dynamodb_backend.get_table(table_name)
        for table_request in table_requests:
            # moto's IndexError (a 500) for an empty request, kept
            request_type = list(table_request.keys())[0]  # noqa: RUF015
            request = list(table_request.values())[0]  # noqa: RUF015
            if request_type == "PutRequest":
                validate_put_has_empty_keys(request["Item"], table, custom_error_msg=EMPTY_KEY)
                puts.append((table_name, table, request["Item"]))
            elif request_type == "DeleteRequest":
                deletes.append((table_name, table, request["Key"]))
    return puts, deletes


def has_duplicates(puts: list[Request], deletes: list[Request]) -> bool:
    """moto's refusal within one table (equal items among its puts, equal keys among
    its deletes) or DynamoDB's (one primary key of one table in two requests). moto
    compared across tables too; DynamoDB writes equal items into two tables."""
    return (
        any_equal([(name, json_form(item)) for name, _, item in deletes])
        or any_equal([(name, json_form(item)) for name, _, item in puts])
        or any_equal([k for k in (primary_key(t, i) for _, t, i in puts + deletes) if k])
    )


def any_equal(values: list[Any]) -> bool:
    """Whether two of ``values`` are equal: moto's ``_contains_duplicates``, pairwise with
    ``==`` (a batch holds at most 25 requests; hashing would read every byte)."""
    return any(value in values[:index] for index, value in enumerate(values))


def json_form(value: Any) -> Any:
    """A value equal to another's exactly when their ``dynamo_json_dump`` strings are:
    strings stand for themselves, bytes for their base64 text (as moto's encoder writes
    them), other scalars for their JSON text, containers for their members in order."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ("{", tuple((json_form(k), json_form(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("[", tuple(json_form(v) for v in value))
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("utf-8")
    if value is None or isinstance(value, int | float):
        return ("#", json.dumps(value))
    return ("#", dynamo_json_dump(value))


def primary_key(table: Table, attributes: dict[str, Any]) -> tuple[Any, ...] | None:
    """The table and the request's key as moto stores it (``DynamoType`` equality: type
    and ``cast_value``), or None when the request names no well-formed key of the
    table's types (moto refuses it later, as it did)."""
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    declared = {a["AttributeName"]: a["AttributeType"] for a in table.attr}
    parts = [key_part(attributes.get(name), declared.get(name)) for name in names]
    return None if None in parts else (table.name, *parts)


def key_part(value: Any, declared: str | None) -> tuple[str, Any] | None:
    if not isinstance(value, dict) or len(value) != 1:
        return None
    kind, inner = next(iter(value.items()))
    if kind != declared or kind not in KEY_TYPES or not isinstance(inner, str | bytes):
        return None
    if kind != "N":
        return kind, inner
    try:
        number = Decimal(inner)  # type: ignore[arg-type]
    except (ArithmeticError, TypeError):  # not a number moto can read ({"N": "x"})
        return None
    return (kind, number) if number.is_finite() else None


@contextmanager
def moto_s_own_check() -> Iterator[None]:
    """moto's own ``batch_write_item`` for a while (what the tests compare against)."""
    DynamoHandler.batch_write_item = ORIGINAL_BATCH_WRITE_ITEM  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoHandler.batch_write_item = batch_write_item  # type: ignore[method-assign]
