"""Faults injected at the edge, answered as DynamoDB answers: botocore parses each
injected answer back with its own parser, as the SDK in a function does."""

from __future__ import annotations

import json
import zlib
from typing import Any

import botocore.session
import pytest
from botocore.parsers import create_parser

from localenv.edge.calls import AwsCall, RawRequest, Signer, parse
from localenv.edge.dynamodb_faults import UnknownFaultError
from localenv.edge.errors import EdgeResponse
from localenv.edge.faults import (
    FaultBook,
    FaultKind,
    FaultRule,
    FaultRuleError,
    control_routes,
    rule_from,
)
from tests.aws_requests import sdk_request

DYNAMODB = botocore.session.get_session().get_service_model("dynamodb")


class Emulator:
    """An in-memory stand-in for moto behind the edge: records what reaches it."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    def __call__(self, raw: RawRequest) -> EdgeResponse:
        self.seen.append(json.loads(raw.body))
        return EdgeResponse(200, (("x-amzn-RequestId", "moto"),), b'{"UnprocessedItems": {}}')


def sdk_parse(operation: str, answer: EdgeResponse) -> dict[str, Any]:
    response = {"status_code": answer.status, "headers": dict(answer.headers), "body": answer.body}
    shape = DYNAMODB.operation_model(operation).output_shape
    assert shape is not None
    parsed: dict[str, Any] = create_parser("json").parse(response, shape)
    return parsed


def batch(count: int) -> AwsCall:
    items = [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(count)]
    return parse(sdk_request("dynamodb", "BatchWriteItem", {"RequestItems": {"t": items}}))


def put() -> AwsCall:
    return parse(sdk_request("dynamodb", "PutItem", {"TableName": "t", "Item": {"pk": {"S": "a"}}}))


def book(*rules: FaultRule) -> tuple[FaultBook, Emulator]:
    emulator = Emulator()
    faults = FaultBook(emulator, seed=7)
    for rule in rules:
        faults.add(rule)
    return faults, emulator


@pytest.mark.parametrize(
    ("code", "status"),
    [("ProvisionedThroughputExceededException", 400), ("InternalServerError", 500)],
)
def test_an_error_is_dynamodbs_own(code: str, status: int) -> None:
    faults, _ = book(FaultRule("dynamodb", FaultKind.ERROR, error=code))
    answer = faults(put())
    assert answer is not None and answer.status == status
    assert json.loads(answer.body)["__type"] == f"com.amazonaws.dynamodb.v20120810#{code}"
    headers = dict(answer.headers)
    assert headers["x-amz-crc32"] == str(zlib.crc32(answer.body))
    assert sdk_parse("PutItem", answer)["Error"]["Code"] == code


def test_a_partial_batch_write_forwards_part_and_returns_the_rest() -> None:
    faults, emulator = book(FaultRule("dynamodb", FaultKind.UNPROCESSED, fraction=0.5))
    answer = faults(batch(4))
    assert answer is not None and answer.status == 200
    forwarded = emulator.seen[0]["RequestItems"]["t"]
    unprocessed = sdk_parse("BatchWriteItem", answer)["UnprocessedItems"]["t"]
    keys = [i["PutRequest"]["Item"]["pk"]["S"] for i in forwarded + unprocessed]
    assert keys == ["k0", "k1", "k2", "k3"]
    assert len(unprocessed) == 2
    assert faults.rules_now()[0]["injected"] == 1


def test_one_item_always_goes_through() -> None:
    faults, emulator = book(FaultRule("dynamodb", FaultKind.UNPROCESSED, fraction=0.9))
    assert faults(batch(1)) is None  # nothing held back: the call goes on untouched
    answer = faults(batch(3))
    assert answer is not None
    assert len(emulator.seen[0]["RequestItems"]["t"]) == 1
    assert faults.rules_now()[0]["injected"] == 1


def test_an_operation_rule_leaves_other_operations_alone() -> None:
    rule = FaultRule("dynamodb", FaultKind.ERROR, "BatchWriteItem", error="InternalServerError")
    faults, _ = book(rule)
    assert faults(put()) is None
    assert faults(batch(2)) is not None


def test_the_rate_injects_a_share_and_counts_it() -> None:
    rule = FaultRule("dynamodb", FaultKind.ERROR, error="InternalServerError", rate=0.3)
    faults, _ = book(rule)
    injected = sum(faults(put()) is not None for _ in range(1000))
    assert 200 < injected < 400
    assert faults.rules_now()[0]["injected"] == injected


def test_an_expired_rule_injects_nothing() -> None:
    rule = FaultRule("dynamodb", FaultKind.ERROR, error="InternalServerError", duration=0.0)
    faults, _ = book(rule)
    assert faults(put()) is None
    assert faults.rules_now()[0]["active"] is False


def test_latency_lets_the_call_go_on() -> None:
    faults, _ = book(FaultRule("dynamodb", FaultKind.LATENCY, latency_ms=1))
    assert faults(put()) is None
    assert faults.rules_now()[0]["injected"] == 1


def test_the_jwks_get_fails_as_a_bare_5xx() -> None:
    rule = FaultRule("cognito-idp", FaultKind.ERROR, "jwks", error="ServiceUnavailable")
    faults, _ = book(rule)
    raw = RawRequest("GET", "/us-east-1_abc/.well-known/jwks.json", (), b"")
    answer = faults(parse(raw))
    assert answer is not None and answer.status == 503
    signed = AwsCall(raw, Signer("k", "us-east-1", "cognito-idp"), None, "ListUsers")
    assert faults(signed) is None


def test_clear_returns_the_counts_and_empties_the_book() -> None:
    faults, _ = book(FaultRule("dynamodb", FaultKind.ERROR, error="InternalServerError"))
    faults(put())
    assert [r["injected"] for r in faults.clear()] == [1]
    assert faults.rules_now() == []
    assert faults(put()) is None


@pytest.mark.parametrize(
    "rule",
    [
        FaultRule("dynamodb", FaultKind.ERROR, error="NoSuchThing"),
        FaultRule("s3", FaultKind.ERROR, error="InternalServerError"),
        FaultRule("dynamodb", FaultKind.UNPROCESSED, "PutItem", fraction=0.5),
        FaultRule("dynamodb", FaultKind.UNPROCESSED, fraction=1.0),
        FaultRule("dynamodb", FaultKind.LATENCY, latency_ms=5, rate=0.0),
    ],
)
def test_a_rule_the_edge_cannot_inject_is_refused(rule: FaultRule) -> None:
    faults, _ = book()
    with pytest.raises((FaultRuleError, UnknownFaultError)):
        faults.add(rule)


def test_the_control_routes_add_list_and_clear_rules() -> None:
    faults, _ = book()
    routes = control_routes(faults)
    query = {"service": "dynamodb", "operation": "PutItem", "error": "InternalServerError"}
    added = routes[("POST", "/faults")]({**query, "rate": "0.5", "for": "60s"})
    assert (added["kind"], added["rate"], added["duration"]) == ("error", 0.5, 60.0)
    assert [r["id"] for r in routes[("GET", "/faults")]({})] == [added["id"]]
    assert [r["id"] for r in routes[("POST", "/faults/clear")]({})] == [added["id"]]
    assert faults.rules_now() == []


@pytest.mark.parametrize(
    "query",
    [
        {"error": "InternalServerError"},
        {"service": "dynamodb"},
        {"service": "dynamodb", "error": "InternalServerError", "latency": "5"},
        {"service": "dynamodb", "latency": "5", "for": "soon"},
    ],
)
def test_a_malformed_rule_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(FaultRuleError):
        rule_from(query)
