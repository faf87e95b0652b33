"""DynamoDB's own fault answers (JSON 1.0 protocol) and Cognito's JWKS failure.

DynamoDB answers an error with its HTTP status and a JSON body whose ``__type`` is
``com.amazonaws.dynamodb.v20120810#<Code>``; 4xx for throttling, 500 for an internal
error. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
"""

from __future__ import annotations

import json
import math
import uuid
import zlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from localenv.edge.calls import AwsCall, RawRequest
from localenv.edge.errors import EdgeResponse
from localenv.errors import LocalenvError

Forward = Callable[[RawRequest], EdgeResponse]
PREFIX = "com.amazonaws.dynamodb.v20120810#"
# code -> (HTTP status, message), as DynamoDB sends them.
DYNAMODB_ERRORS = {
    "ProvisionedThroughputExceededException": (
        400,
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "ThrottlingException": (400, "Rate of requests exceeds the allowed throughput."),
    "RequestLimitExceeded": (
        400,
        "Throughput exceeds the current throughput limit for your account. "
        "Please contact AWS Support at https://aws.amazon.com/support request a limit increase",
    ),
    "InternalServerError": (500, "Internal server error"),
}
# The user pool's JWKS is a plain HTTPS document; a failing one is a bare 5xx.
JWKS_ERRORS = {"InternalServerError": 500, "ServiceUnavailable": 503}


class UnknownFaultError(LocalenvError):
    """An error the edge does not know how the service answers (so cannot inject)."""


def error_of(service: str, code: str | None) -> str:
    known = DYNAMODB_ERRORS if service == "dynamodb" else JWKS_ERRORS
    if service not in {"dynamodb", "cognito-idp"} or code is None or code not in known:
        raise UnknownFaultError(
            f"cannot inject --error {code} into {service}: known are "
            f"dynamodb {sorted(DYNAMODB_ERRORS)}, cognito-idp (jwks) {sorted(JWKS_ERRORS)}"
        )
    return code


def crc32_headers(body: bytes, request_id: str) -> tuple[tuple[str, str], ...]:
    # botocore checks DynamoDB's x-amz-crc32 header against the body it receives.
    return (
        ("Content-Type", "application/x-amz-json-1.0"),
        ("x-amzn-RequestId", request_id),
        ("x-amz-crc32", str(zlib.crc32(body))),
    )


def error_answer(call: AwsCall, code: str) -> EdgeResponse:
    if call.signer is None:  # the JWKS GET
        return EdgeResponse(JWKS_ERRORS[code], (("Content-Type", "text/plain"),), b"")
    status, message = DYNAMODB_ERRORS[code]
    body = json.dumps({"__type": PREFIX + code, "message": message}).encode()
    return EdgeResponse(status, crc32_headers(body, str(uuid.uuid4())), body)


def split_items(
    request_items: dict[str, list[Any]], fraction: float
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """(forwarded, unprocessed): at least one item goes through, as on AWS, which
    answers ProvisionedThroughputExceededException when it processes none."""
    flat = [(table, item) for table, items in request_items.items() for item in items]
    held = min(math.ceil(len(flat) * fraction), len(flat) - 1)
    kept: dict[str, list[Any]] = {}
    rest: dict[str, list[Any]] = {}
    for index, (table, item) in enumerate(flat):
        (rest if index >= len(flat) - held else kept).setdefault(table, []).append(item)
    return kept, rest


def merged(answer: dict[str, Any], rest: dict[str, list[Any]]) -> dict[str, Any]:
    unprocessed: dict[str, list[Any]] = dict(answer.get("UnprocessedItems") or {})
    for table, items in rest.items():
        unprocessed[table] = [*unprocessed.get(table, []), *items]
    return {**answer, "UnprocessedItems": unprocessed}


def partial_batch_write(
    call: AwsCall, fraction: float, forward: Forward
) -> tuple[EdgeResponse | None, bool]:
    """Forward part of a BatchWriteItem; answer the rest in ``UnprocessedItems``.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html"""
    kept, rest = split_items(call.params.get("RequestItems") or {}, fraction)
    if not rest:
        return None, False
    body = json.dumps({**call.params, "RequestItems": kept}).encode()
    answer = forward(replace(call.raw, body=body))
    if answer.status != 200:
        return answer, False
    new_body = json.dumps(merged(json.loads(answer.body), rest)).encode()
    request_id = next((v for k, v in answer.headers if k.lower() == "x-amzn-requestid"), "")
    return EdgeResponse(200, crc32_headers(new_body, request_id), new_body), True
