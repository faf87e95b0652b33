"""DynamoDB's BatchWriteItem limit (1 to 25 requests), which the emulator does not
enforce, answered at the edge as DynamoDB answers it."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from botocore.parsers import create_parser

from localenv.edge.calls import parse
from localenv.edge.dynamodb_limits import dynamodb_limits
from tests.aws_requests import BOTOCORE, sdk_request


def put(n: int) -> dict[str, Any]:
    return {"PutRequest": {"Item": {"pk": {"S": f"k{n}"}}}}


def batch(*counts: int) -> dict[str, Any]:
    return {
        "RequestItems": {
            f"table-{t}": [put(n) for n in range(count)] for t, count in enumerate(counts)
        }
    }


def answer(params: dict[str, Any], operation: str = "BatchWriteItem") -> dict[str, Any] | None:
    response = dynamodb_limits(parse(sdk_request("dynamodb", operation, params)))
    if response is None:
        return None
    model = BOTOCORE.get_service_model("dynamodb").operation_model(operation)
    parsed = create_parser("json").parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body},
        model.output_shape,
    )
    return {"status": response.status, **parsed["Error"]}


@pytest.mark.parametrize("counts", [(25,), (1,), (20, 5)])
def test_up_to_25_requests_over_all_tables_go_on_to_the_emulator(counts: tuple[int, ...]) -> None:
    assert answer(batch(*counts)) is None


@pytest.mark.parametrize("counts", [(26,), (20, 6), (13, 13)])
def test_more_than_25_requests_are_dynamodbs_validation_exception(counts: tuple[int, ...]) -> None:
    assert answer(batch(*counts)) == {
        "status": 400,
        "Code": "ValidationException",
        "Message": "Too many items requested for the BatchWriteItem call",
    }


def test_a_batch_without_requests_is_refused() -> None:
    """botocore refuses it client-side; an SDK that does not validate sends it."""
    raw = sdk_request("dynamodb", "BatchWriteItem", batch(1))
    empty = dataclasses.replace(raw, body=json.dumps({"RequestItems": {"table-0": []}}).encode())
    response = dynamodb_limits(parse(empty))
    assert response is not None and response.status == 400
    assert json.loads(response.body)["message"] == (
        "BatchWriteItem cannot have a null or no requests set"
    )


def test_other_operations_pass() -> None:
    item = {"TableName": "t", "Item": {"pk": {"S": "k"}}}
    assert answer(item, "PutItem") is None
