"""The edge's view of AWS calls and its answers, without a socket.

Requests are serialised by botocore exactly as the SDK sends them; denials are
parsed back by botocore's own response parsers, so the SDK raises what it
raises on AWS.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore import handlers
from botocore.parsers import create_parser

from localenv import emulator
from localenv.edge import operations
from localenv.edge.calls import AwsCall, RawRequest, parse
from localenv.edge.errors import EdgeResponse, access_denied
from localenv.edge.resources import resources_of
from localenv.edge.server import Edge
from localenv.iam.enforcer import Enforcer, Mode
from localenv.iam.identities import FunctionIdentity, IdentityRegistry
from localenv.iam.policy import parse as parse_policy
from localenv.iam.usage import UsageLog, report
from tests.aws_requests import BOTOCORE, protocol_of, sdk_request

ACCOUNT = "123456789012"
FUNCTION_KEY = "ASIAFUNCTION"


def table(name: str) -> str:
    return f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{name}"


@pytest.mark.parametrize(
    ("service", "operation", "params", "action", "resources"),
    [
        (
            "dynamodb",
            "BatchWriteItem",
            {
                "RequestItems": {
                    "a": [{"DeleteRequest": {"Key": {}}}],
                    "b": [{"DeleteRequest": {"Key": {}}}],
                }
            },
            "dynamodb:BatchWriteItem",
            (table("a"), table("b")),
        ),
        (
            "dynamodb",
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": "a", "Item": {}}},
                    {"Delete": {"TableName": "b", "Key": {}}},
                ]
            },
            "dynamodb:TransactWriteItems",
            (table("a"), table("b")),
        ),
        (
            "dynamodb",
            "Query",
            {"TableName": "a", "IndexName": "byOwner"},
            "dynamodb:Query",
            (table("a") + "/index/byOwner",),
        ),
        (
            "logs",
            "PutLogEvents",
            {
                "logGroupName": "/aws/lambda/f",
                "logStreamName": "s",
                "logEvents": [{"timestamp": 1, "message": "m"}],
            },
            "logs:PutLogEvents",
            (f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:s",),
        ),
        (
            "sns",
            "Publish",
            {"TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms", "Message": "m"},
            "sns:Publish",
            (f"arn:aws:sns:us-east-1:{ACCOUNT}:alarms",),
        ),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": f"http://localhost/{ACCOUNT}/q", "MessageBody": "m"},
            "sqs:SendMessage",
            (f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",),
        ),
        (
            "s3",
            "PutObject",
            {"Bucket": "bkt", "Key": "a/b c"},
            "s3:PutObject",
            ("arn:aws:s3:::bkt/a/b c",),
        ),
        (
            "s3",
            "CopyObject",
            {"Bucket": "bkt", "Key": "k", "CopySource": "src/k"},
            "s3:CopyObject",
            ("arn:aws:s3:::bkt/k",),
        ),
        ("s3", "ListObjectsV2", {"Bucket": "bkt"}, "s3:ListObjectsV2", ("arn:aws:s3:::bkt",)),
        (
            "kms",
            "Decrypt",
            {"CiphertextBlob": b"x", "KeyId": "alias/k"},
            "kms:Decrypt",
            (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/k",),
        ),
        (
            "cloudwatch",
            "PutMetricData",
            {"Namespace": "n", "MetricData": []},
            "cloudwatch:PutMetricData",
            None,
        ),
        (
            "lambda",
            "Invoke",
            {"FunctionName": "f"},
            "lambda:InvokeFunction",
            (f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f",),
        ),
        ("sts", "GetCallerIdentity", {}, "sts:GetCallerIdentity", None),
    ],
)
def test_calls_are_named_as_iam_names_them(
    service: str,
    operation: str,
    params: dict[str, Any],
    action: str,
    resources: tuple[str, ...] | None,
) -> None:
    call = parse(sdk_request(service, operation, params))
    assert call.action == action
    assert resources_of(call, ACCOUNT) == resources


def test_an_unsigned_request_has_no_caller() -> None:
    call = parse(RawRequest("GET", "/us-east-1_abc/.well-known/jwks.json", (), b""))
    assert call.signer is None


@pytest.mark.parametrize(
    ("service", "operation", "params", "status", "code"),
    [
        ("dynamodb", "PutItem", {"TableName": "a", "Item": {}}, 400, "AccessDeniedException"),
        (
            "logs",
            "PutLogEvents",
            {
                "logGroupName": "g",
                "logStreamName": "s",
                "logEvents": [{"timestamp": 1, "message": "m"}],
            },
            400,
            "AccessDeniedException",
        ),
        ("kms", "Decrypt", {"CiphertextBlob": b"x"}, 400, "AccessDeniedException"),
        (
            "sns",
            "Publish",
            {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"},
            403,
            "AuthorizationError",
        ),
        (
            "sqs",
            "SendMessage",
            {"QueueUrl": "http://h/1/q", "MessageBody": "m"},
            403,
            "AccessDenied",
        ),
        ("s3", "GetObject", {"Bucket": "bkt", "Key": "k"}, 403, "AccessDenied"),
        (
            "sts",
            "AssumeRole",
            {"RoleArn": "arn:aws:iam::1:role/r", "RoleSessionName": "ss"},
            403,
            "AccessDenied",
        ),
        ("lambda", "Invoke", {"FunctionName": "f"}, 403, "AccessDeniedException"),
        (
            "cloudwatch",
            "PutMetricData",
            {"Namespace": "n", "MetricData": []},
            400,
            "AccessDeniedException",
        ),
    ],
)
def test_a_denial_is_the_services_own_error_as_the_sdk_reads_it(
    service: str, operation: str, params: dict[str, Any], status: int, code: str
) -> None:
    call = parse(sdk_request(service, operation, params))
    response = access_denied(call, "User: x is not authorized")
    model = BOTOCORE.get_service_model(service)
    parsed = create_parser(protocol_of(service)).parse(
        {"status_code": response.status, "headers": dict(response.headers), "body": response.body},
        model.operation_model(operation).output_shape,
    )
    assert response.status == status
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == "User: x is not authorized"


class FakeSts:
    """An in-memory STS: one session per AssumeRole."""

    def assume_role(self, RoleArn: str, RoleSessionName: str) -> dict[str, Any]:  # noqa: N803
        return {
            "Credentials": {
                "AccessKeyId": FUNCTION_KEY,
                "SecretAccessKey": "s",
                "SessionToken": "t",
            }
        }


def processor() -> FunctionIdentity:
    grant = {"Effect": "Allow", "Action": ["dynamodb:PutItem"], "Resource": table("data")}
    return FunctionIdentity(
        function="processor",
        role_name="writer",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/writer",
        role_id="AROAWRITER",
        account=ACCOUNT,
        log_group="/aws/lambda/processor",
        policies=(parse_policy("write", {"Statement": [grant]}),),
        boundary=None,
    )


def enforcer(mode: Mode, warnings: list[str]) -> tuple[Enforcer, UsageLog, IdentityRegistry]:
    registry, usage = IdentityRegistry(), UsageLog()
    session = registry.register(FakeSts(), processor())
    assert session.access_key == FUNCTION_KEY
    return Enforcer(mode, registry, usage, lambda _i, m: warnings.append(m)), usage, registry


def batch(key: str) -> AwsCall:
    params = {"RequestItems": {"data": [{"PutRequest": {"Item": {}}}]}}
    return parse(sdk_request("dynamodb", "BatchWriteItem", params, key))


def test_a_function_call_its_role_does_not_grant_is_denied_in_aws_words() -> None:
    guard, usage, registry = enforcer(Mode.ENFORCE, [])
    response = guard(batch(FUNCTION_KEY))
    assert response is not None and response.status == 400
    assert (
        b"User: arn:aws:sts::123456789012:assumed-role/writer/processor is not authorized to "
        b"perform: dynamodb:BatchWriteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:"
        b"table/data because no identity-based policy allows the dynamodb:BatchWriteItem action"
    ) in response.body
    (entry,) = report(registry.identities(), usage)
    assert entry["missing"] == [{"action": "dynamodb:BatchWriteItem", "resource": table("data")}]
    assert entry["unused"] == [
        {"policy": "write", "action": "dynamodb:PutItem", "resource": table("data")}
    ]


def test_granted_calls_the_stacks_own_calls_and_caller_identity_pass() -> None:
    guard, usage, _ = enforcer(Mode.ENFORCE, [])
    put = {"TableName": "data", "Item": {}}
    assert guard(parse(sdk_request("dynamodb", "PutItem", put, FUNCTION_KEY))) is None
    assert guard(batch("test")) is None
    assert guard(parse(sdk_request("sts", "GetCallerIdentity", {}, FUNCTION_KEY))) is None
    assert {u.action for u in usage.of("processor")} == {"dynamodb:PutItem"}


def test_warn_lets_the_call_through_and_reports_it() -> None:
    warnings: list[str] = []
    guard, usage, _ = enforcer(Mode.WARN, warnings)
    assert guard(batch(FUNCTION_KEY)) is None
    (warning,) = warnings
    assert "dynamodb:BatchWriteItem" in warning
    assert any(not u.allowed for u in usage.of("processor"))


def test_off_evaluates_nothing() -> None:
    guard, usage, _ = enforcer(Mode.OFF, [])
    assert guard(batch(FUNCTION_KEY)) is None
    assert usage.of("processor") == set()


class RecordingBackend:
    """An in-memory emulator: answers 200 and remembers what reached it."""

    def __init__(self) -> None:
        self.forwarded: list[RawRequest] = []

    def start(self) -> None:
        pass

    def forward(self, raw: RawRequest) -> EdgeResponse:
        self.forwarded.append(raw)
        return EdgeResponse(200, (), b"{}")


def test_the_edge_chain_interceptor_answers_or_the_call_is_forwarded_observers_see_both() -> None:
    backend = RecordingBackend()
    guard, _, _ = enforcer(Mode.ENFORCE, [])
    seen: list[tuple[str, int]] = []
    edge = Edge("127.0.0.1", 0, backend, [guard], [lambda c, r: seen.append((c.action, r.status))])
    denied = edge.handle(batch(FUNCTION_KEY).raw)
    passed = edge.handle(batch("test").raw)
    assert (denied.status, passed.status) == (400, 200)
    assert len(backend.forwarded) == 1
    assert seen == [("dynamodb:BatchWriteItem", 400), ("dynamodb:BatchWriteItem", 200)]


def test_s3_calls_are_named_after_an_sdk_s3_client_rewrote_its_model() -> None:
    # botocore's S3 client rewrites its model on its first call of an operation; the
    # harness's own S3 client (the deploy's code upload) runs in the stack's process.
    client = emulator.session("us-east-1").client("s3", endpoint_url="http://127.0.0.1:9")
    for name in ("PutObject", "UploadPart", "CreateBucket"):
        model = client.meta.service_model.operation_model(name)
        handlers.remove_bucket_from_url_paths_from_model({}, model, {})
    assert client.meta.service_model.operation_model("PutObject").http["requestUri"] == "/{Key+}"
    operations.routes_of.cache_clear()
    try:
        put = parse(sdk_request("s3", "PutObject", {"Bucket": "bkt", "Key": "a/b c"}))
        assert put.action == "s3:PutObject"
        assert resources_of(put, ACCOUNT) == ("arn:aws:s3:::bkt/a/b c",)
        create = parse(sdk_request("s3", "CreateBucket", {"Bucket": "bkt"}))
        assert create.action == "s3:CreateBucket"
    finally:
        operations.routes_of.cache_clear()


def test_sdk_clients_share_one_copy_of_a_model_they_rewrite_and_the_edge_reads_it_as_parsed() -> (
    None
):
    loader = operations.data_loader()
    assert isinstance(loader, operations.SharedLoader)
    for_clients = loader.load_service_model("s3", "service-2")
    assert loader.load_service_model("s3", "service-2") is for_clients  # copied once
    assert loader.as_parsed("s3") is not for_clients
    assert loader.as_parsed("s3") == loader.as_parsed("s3")
    assert loader.load_service_model("dynamodb", "service-2") is loader.as_parsed("dynamodb")
