"""The harness's dispatcher answers as moto's own server does: the same status,
headers and body for each call, whether a rule routes it or moto's Flask app does."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError
from flask import Flask
from flask_cors import CORS
from moto.core.exceptions import AccessDeniedError, JsonRESTError
from moto.core.utils import convert_to_flask_response
from moto.moto_server.werkzeug_app import (
    BackendRequest,
    DomainDispatcherApplication,
    create_backend_app,
)

from localenv.edge.backends import MotoBackend
from localenv.edge.calls import RawRequest
from localenv.moto_dispatch import Dispatcher, Routes, served
from tests.aws_requests import sdk_request

# Per-call values: request ids (and the checksum of a body that carries one), dates.
VARYING_HEADERS = {"x-amzn-requestid", "x-amz-request-id", "x-amz-id-2", "date", "x-amz-crc32"}
REQUEST_ID = re.compile(rb"(<RequestId>|\"RequestId\": ?\")[^<\"]*")


def answer(backend: MotoBackend, app: Any, raw: RawRequest) -> tuple[int, list[Any], bytes]:
    backend.app = app
    response = backend.forward(sent(raw))
    headers = sorted(
        (k.lower(), v) for k, v in response.headers if k.lower() not in VARYING_HEADERS
    )
    return response.status, headers, REQUEST_ID.sub(rb"\1-", response.body)


def sent(raw: RawRequest) -> RawRequest:
    """As an SDK sends it to the edge: with its Host header."""
    return RawRequest(raw.method, raw.target, (*raw.headers, ("Host", "127.0.0.1:4566")), raw.body)


@pytest.fixture(scope="module")
def apps() -> tuple[MotoBackend, Any, Any]:
    backend = MotoBackend("127.0.0.1", 4566)
    backend.start()
    direct = backend.app
    for raw in SETUP:
        assert backend.forward(sent(raw)).status < 300, raw
    return backend, direct, DomainDispatcherApplication(create_backend_app)


TABLE = {"TableName": "dispatch", "Key": {"pk": {"S": "a"}}}
SETUP = [
    sdk_request(
        "dynamodb",
        "CreateTable",
        {
            "TableName": "dispatch",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST",
        },
    ),
    sdk_request("dynamodb", "PutItem", {"TableName": "dispatch", "Item": {"pk": {"S": "a"}}}),
    sdk_request("s3", "CreateBucket", {"Bucket": "dispatch"}),
    sdk_request("s3", "PutObject", {"Bucket": "dispatch", "Key": "k/1", "Body": b"body"}),
    sdk_request("sns", "CreateTopic", {"Name": "dispatch"}),
    sdk_request("logs", "CreateLogGroup", {"logGroupName": "dispatch"}),
]
CALLS = [
    sdk_request("dynamodb", "GetItem", TABLE),
    sdk_request("dynamodb", "GetItem", {**TABLE, "TableName": "missing"}),
    sdk_request("dynamodb", "DescribeTable", {"TableName": "dispatch"}),
    sdk_request(
        "dynamodb",
        "PutItem",
        {
            "TableName": "dispatch",
            "Item": {"pk": {"S": "a"}},
            "ConditionExpression": "attribute_not_exists(pk)",
        },
    ),
    sdk_request("s3", "GetObject", {"Bucket": "dispatch", "Key": "k/1"}),
    sdk_request("s3", "HeadObject", {"Bucket": "dispatch", "Key": "k/1"}),
    sdk_request("s3", "GetObject", {"Bucket": "dispatch", "Key": "missing"}),
    sdk_request("s3", "ListObjectsV2", {"Bucket": "dispatch"}),
    sdk_request("lambda", "GetFunction", {"FunctionName": "missing"}),
    sdk_request("lambda", "ListFunctions", {}),
    sdk_request("iam", "GetRole", {"RoleName": "missing"}),
    sdk_request("sns", "ListTopics", {}),
    sdk_request("logs", "DescribeLogGroups", {}),
    sdk_request("cloudwatch", "ListMetrics", {}),
    sdk_request("sts", "GetCallerIdentity", {}),
    sdk_request("apigateway", "GetRestApis", {}),
    sdk_request("cognito-idp", "ListUserPools", {"MaxResults": 5}),
]


@pytest.mark.parametrize("raw", CALLS, ids=lambda raw: f"{raw.method} {raw.target[:40]}")
def test_each_call_is_answered_as_moto_s_server_answers_it(
    apps: tuple[MotoBackend, Any, Any], raw: RawRequest
) -> None:
    backend, direct, flask = apps
    assert answer(backend, direct, raw) == answer(backend, flask, raw)


def preflight(raw: RawRequest) -> RawRequest:
    headers = (("Origin", "http://localhost:3000"), ("Access-Control-Request-Method", "POST"))
    return RawRequest("OPTIONS", raw.target, raw.headers + headers, raw.body)


@pytest.mark.parametrize(
    "raw",
    [
        preflight(sdk_request("dynamodb", "ListTables", {})),  # CORS headers
        RawRequest(
            "GET", "/no/such/route", sdk_request("lambda", "ListFunctions", {}).headers, b""
        ),
        RawRequest("GET", "/moto-api/data.json", (), b""),  # moto's own app
    ],
    ids=["cors-preflight", "no-rule", "moto-api"],
)
def test_what_moto_s_server_answers_itself_is_answered_the_same(
    apps: tuple[MotoBackend, Any, Any], raw: RawRequest
) -> None:
    backend, direct, flask = apps
    assert answer(backend, direct, raw) == answer(backend, flask, raw)


def test_service_calls_are_routed_without_flask(apps: tuple[MotoBackend, Any, Any]) -> None:
    backend, direct, _ = apps
    backend.app = direct
    backend.forward(sent(sdk_request("dynamodb", "ListTables", {})))
    assert isinstance(direct.app_instances["dynamodb"], Routes)
    assert "dynamodb" not in direct.flask_apps


@pytest.mark.parametrize(
    "host",
    [None, "dynamodb", "moto_api", "cognito-idp.us-east-1.amazonaws.com", "127.0.0.1:4566"],
)
def test_the_backend_for_a_host_is_moto_s_and_kept(host: str | None) -> None:
    cached = Dispatcher()
    first = cached.get_backend_for_host(host)
    assert first == DomainDispatcherApplication(create_backend_app).get_backend_for_host(host)
    assert cached.get_backend_for_host(host) == first
    assert host in cached.known


def failing(exception: Exception) -> Any:
    def handler(_request: Any, _url: str, _headers: Any) -> Any:
        raise exception

    return handler


@pytest.mark.parametrize(
    "exception",
    [
        JsonRESTError("ResourceNotFoundException", "no such thing"),
        AccessDeniedError("arn:aws:iam::123456789012:user/x", "s3:GetObject"),
        ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "Op"),
    ],
    ids=["json-error", "xml-error", "client-error"],
)
def test_a_handler_s_error_is_answered_as_moto_s_flask_view_answers_it(
    exception: Exception,
) -> None:
    environ = MotoBackend("127.0.0.1", 4566).environ(sent(RawRequest("POST", "/", (), b"")))
    app = Flask("moto")
    app.request_class = BackendRequest  # as moto's create_backend_app sets it
    app.add_url_rule("/", view_func=convert_to_flask_response(failing(exception)), methods=["POST"])
    CORS(app)
    expected = app.test_client().post("/")
    response = served(failing(exception), environ)
    assert response.status_code == expected.status_code
    assert response.get_data() == expected.get_data()
    assert sorted(response.headers.items()) == sorted(expected.headers.items())
