"""Two requests on one item in one BatchWriteItem are DynamoDB's ValidationException,
answered through the edge and the embedded emulator as DynamoDB answers them.
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localenv.edge.backends import MotoBackend
from localenv.edge.calls import RawRequest
from localenv.edge.dynamodb_limits import dynamodb_limits
from localenv.edge.server import Edge
from localenv.moto_batch_write import DUPLICATES, moto_s_own_check
from tests.aws_requests import sdk_request

SIMPLE, COMPOSITE, OTHER = "dup-simple", "dup-composite", "dup-other"


def table(name: str, range_key: bool) -> dict[str, Any]:
    keys = [("pk", "S", "HASH")] + ([("n", "N", "RANGE")] if range_key else [])
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": k, "KeyType": kind} for k, _, kind in keys],
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": t} for k, t, _ in keys],
        "BillingMode": "PAY_PER_REQUEST",
    }


def call(edge: Edge, operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    raw = sdk_request("dynamodb", operation, params)
    sent = RawRequest(raw.method, raw.target, (*raw.headers, ("Host", "127.0.0.1:4566")), raw.body)
    response = edge.handle(sent)
    return response.status, json.loads(response.body)


@pytest.fixture(scope="module")
def edge() -> Edge:
    backend = MotoBackend("127.0.0.1", 4566)
    backend.start()
    edge = Edge("127.0.0.1", 0, backend, [dynamodb_limits])
    for name, range_key in ((SIMPLE, False), (COMPOSITE, True), (OTHER, False)):
        assert call(edge, "CreateTable", table(name, range_key))[0] == 200
    return edge


def put(**attributes: dict[str, Any]) -> dict[str, Any]:
    return {"PutRequest": {"Item": attributes}}


def delete(**key: dict[str, Any]) -> dict[str, Any]:
    return {"DeleteRequest": {"Key": key}}


A, B = {"S": "a"}, {"S": "b"}
ONE, ONE_POINT_O = {"N": "1"}, {"N": "1.0"}
ONE_KEY_TWICE = {
    "two puts, other attributes": {SIMPLE: [put(pk=A, x=A), put(pk=A, x=B)]},
    "a put and a delete": {SIMPLE: [put(pk=A), delete(pk=A)]},
    "a delete and a put": {COMPOSITE: [delete(pk=A, n={"N": "1"}), put(pk=A, n={"N": "1"}, x=B)]},
    "two deletes, key attributes in another order": {
        COMPOSITE: [delete(pk=A, n={"N": "1"}), delete(n={"N": "1"}, pk=A)]
    },
    "one number written two ways": {
        COMPOSITE: [put(pk=A, n={"N": "1"}), put(pk=A, n={"N": "1.0"})]
    },
}


@pytest.mark.parametrize("batch", ONE_KEY_TWICE.values(), ids=ONE_KEY_TWICE.keys())
def test_one_item_twice_is_refused_and_nothing_is_written(edge: Edge, batch: Any) -> None:
    assert call(edge, "BatchWriteItem", {"RequestItems": batch}) == (
        400,
        {"__type": "com.amazonaws.dynamodb.v20120810#ValidationException", "message": DUPLICATES},
    )
    for name in batch:
        assert call(edge, "Scan", {"TableName": name})[1]["Items"] == []


def test_moto_alone_writes_one_item_twice(edge: Edge) -> None:
    """What the harness adds: moto 5.2 compares whole items, and writes these."""
    with moto_s_own_check():
        status, _ = call(
            edge, "BatchWriteItem", {"RequestItems": ONE_KEY_TWICE["a put and a delete"]}
        )
    assert status == 200
    assert call(edge, "Scan", {"TableName": SIMPLE})[1]["Items"] == []  # put, then deleted


DIFFERENT_ITEMS = {
    "one key in two tables": {SIMPLE: [put(pk=A, x=A)], OTHER: [put(pk=A, x=B)]},
    "one hash key, two range keys": {
        COMPOSITE: [put(pk=B, n={"N": "1"}), put(pk=B, n={"N": "2"}), delete(pk=B, n={"N": "3"})]
    },
}


@pytest.mark.parametrize("batch", DIFFERENT_ITEMS.values(), ids=DIFFERENT_ITEMS.keys())
def test_different_items_are_written(edge: Edge, batch: Any) -> None:
    assert call(edge, "BatchWriteItem", {"RequestItems": batch}) == (
        200,
        {
            "ConsumedCapacity": [
                {"TableName": name, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
                for name in batch
            ],
            "ItemCollectionMetrics": {},
            "UnprocessedItems": {},
        },
    )


def test_one_item_in_two_tables_is_written_to_both(edge: Edge) -> None:
    """DynamoDB's rule is one key of one table; moto 5.2 refused equal whole items in
    two tables as well."""
    item = {"pk": {"S": "in two tables"}}
    batch = {SIMPLE: [put(**item)], OTHER: [put(**item)]}
    status, _ = call(edge, "BatchWriteItem", {"RequestItems": batch})
    assert status == 200
    for table in (SIMPLE, OTHER):
        assert item in call(edge, "Scan", {"TableName": table})[1]["Items"]
