"""The gateway core against AWS's recorded behaviour (issue 17), with an in-memory Lambda.

Expected values come from LocalStack's AWS-validated recordings (repository
localstack/localstack, tests/aws/services/apigateway/*.snapshot.json and the
tests that produced them); each test names its recording.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from localenv.gateway import api_model
from localenv.gateway.api_model import (
    ApiModel,
    Authorizer,
    CustomResponse,
    Method,
    MockResponse,
    misconfiguration,
)
from localenv.gateway.core import Gateway
from localenv.gateway.permissions import InvokePermissions
from localenv.gateway.requests import Request
from localenv.gateway.trace import Trace
from localenv.intrinsics import UnsupportedError
from localenv.runtime.environment import Outcome, OutcomeKind

ARN = "arn:aws:execute-api:us-east-1:123456789012:api1"
ALLOW_ALL = {
    "Effect": "Allow",
    "Principal": {"Service": "apigateway.amazonaws.com"},
    "Action": "lambda:InvokeFunction",
    "Condition": {"ArnLike": {"AWS:SourceArn": f"{ARN}/*"}},
}


def method(path: str, verb: str = "ANY", **changes: Any) -> Method:
    fields: dict[str, Any] = {
        "http_method": verb,
        "resource_id": "r-" + path,
        "resource_path": path,
        "authorization_type": "NONE",
        "authorizer": None,
        "integration_type": "AWS_PROXY",
        "function": "fn",
        "timeout_ms": 29_000,
    }
    fields.update(changes)
    return Method(**fields)


def api(*methods: Method, **changes: Any) -> ApiModel:
    fields: dict[str, Any] = {
        "api_id": "api1",
        "name": "api",
        "stage": "prod",
        "region": "us-east-1",
        "account_id": "123456789012",
        "binary_media_types": ("image/png", "application/*"),
        "methods": {(m.resource_path, m.http_method): m for m in methods},
        "throttle": None,
        "permissions": InvokePermissions({"fn": (ALLOW_ALL,), "auth": (ALLOW_ALL,)}),
        "deployment_id": "dep1",
    }
    fields.update(changes)
    return ApiModel(**fields)


PROXY = api(method("/{proxy+}"))


class Lambda:
    """Returns ``output`` (or the event it got, as the body) and keeps the events."""

    def __init__(self, output: Any = None, authorizer: Any = None):
        self.output = output
        self.authorizer = authorizer
        self.events: list[dict[str, Any]] = []

    def __call__(self, function: str, payload: bytes) -> Outcome:
        event = json.loads(payload)
        self.events.append(event)
        output = self.output if self.output is not None else {"body": json.dumps(event)}
        if function == "auth":
            output = self.authorizer
        return Outcome(OutcomeKind.OK, payload=json.dumps(output).encode())


def call(
    model: ApiModel,
    output: Any = None,
    path: str = "/prod/x",
    headers: list[tuple[str, str]] | None = None,
    verb: str = "GET",
    query: str = "",
) -> tuple[Any, Lambda]:
    fake = Lambda(output)
    response = Gateway(model, fake).handle(Request(verb, path, query, headers or []))
    return response, fake


PNG = base64.b64encode(b"\x89PNG\r\n").decode()
B64 = {"statusCode": 200, "body": PNG, "isBase64Encoded": True}


# Item 1: test_apigateway_lambda.py::test_aws_proxy_binary_response
def test_base64_is_decoded_only_when_the_first_accept_is_a_binary_type() -> None:
    decoded = [("Accept", "image/png"), ("Accept", "image/png,image/*,*/*;q=0.8")]
    text = ["*/*", "image/*", "image/webp,image/png,*/*;q=0.8", "image/jpg", "application"]
    for accept in [decoded[0], ("Accept", "application/whatever")]:
        assert call(PROXY, B64, headers=[accept])[0].body == b"\x89PNG\r\n"
    assert call(PROXY, B64, headers=[decoded[1]])[0].body == b"\x89PNG\r\n"
    for value in text:
        assert call(PROXY, B64, headers=[("Accept", value)])[0].body == PNG.encode()
    assert call(PROXY, B64)[0].body == PNG.encode()  # no Accept


def test_invalid_base64_to_decode_is_500() -> None:
    bad = {"statusCode": 200, "body": "èé+à)(", "isBase64Encoded": True}
    response = call(PROXY, bad, headers=[("Accept", "image/png")])[0]
    assert response.status == 500


# Item 2: invoke-api-only-headers, invoke-api-status-code-str, invoke-api-empty-response
def test_status_code_missing_is_200_and_a_digit_string_is_used() -> None:
    assert call(PROXY, {"headers": {"test-header": "value"}})[0].status == 200
    assert call(PROXY, {"statusCode": "201"})[0].status == 201
    assert call(PROXY, {"statusCode": "test"})[0].status == 502
    assert call(PROXY, {})[0].status == 502


# Item 4: header remapping (AWS_PROXY) and invoke-api-multi-headers-overwrite
def test_function_headers_are_remapped_dropped_and_merged() -> None:
    output = {
        "statusCode": 200,
        "body": "hi",
        "headers": {
            "Content-Length": "999",
            "Transfer-Encoding": "chunked",
            "Server": "werkzeug",
            "test-multi": "value-solo",
        },
        "multiValueHeaders": {"test-multi": ["value-multi"]},
    }
    headers = call(PROXY, output)[0].headers
    names = [name.lower() for name, _ in headers]
    assert "content-length" not in names and "transfer-encoding" not in names
    assert "server" not in names
    assert ("x-amzn-Remapped-Content-Length", "999") in headers
    assert ("x-amzn-Remapped-Server", "werkzeug") in headers
    assert [v for n, v in headers if n == "test-multi"] == ["value-multi", "value-solo"]


# Item 5: test_lambda_aws_proxy_integration, header_remapping_aws[AWS_PROXY]
def test_request_headers_as_the_integration_sees_them() -> None:
    sent = [
        ("aUThorization", "t"),
        ("user-Agent", "ua"),
        ("x-Custom", "c"),
        ("Connection", "keep-alive"),
        ("Expect", "100-continue"),
        ("TE", "trailers"),
        ("X-Forwarded-For", "10.0.0.1"),
        ("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000001"),
    ]
    response, fake = call(PROXY, headers=sent)
    headers = fake.events[0]["headers"]
    assert headers["Authorization"] == "t" and headers["User-Agent"] == "ua"
    assert headers["x-Custom"] == "c"
    assert not {"Connection", "Expect", "TE", "aUThorization"} & set(headers)
    assert headers["X-Forwarded-For"] == "10.0.0.1, 127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "https" and headers["X-Forwarded-Port"] == "443"
    assert headers["X-Amzn-Trace-Id"] == "Root=1-00000000-000000000000000000000001"
    assert response.header("X-Amzn-Trace-Id") == headers["X-Amzn-Trace-Id"]


def test_a_trace_id_is_added_when_the_client_sent_none() -> None:
    response, fake = call(PROXY)
    trace = fake.events[0]["headers"]["X-Amzn-Trace-Id"]
    assert trace.startswith("Root=1-") and response.header("X-Amzn-Trace-Id") == trace


# Item 6: …with-path-encoded-email, …with-double-slash, …with-prepended-slash
def test_paths_keep_percent_encoding_and_inner_double_slashes() -> None:
    event = call(PROXY, path="/prod/a%2Bb/c%2Fd")[1].events[0]
    assert event["path"] == "/a%2Bb/c%2Fd"
    assert event["pathParameters"] == {"proxy": "a%2Bb/c%2Fd"}
    assert event["requestContext"]["path"] == "/prod/a%2Bb/c%2Fd"
    event = call(PROXY, path="/prod/a//b")[1].events[0]
    assert event["pathParameters"] == {"proxy": "a//b"}
    event = call(PROXY, path="/prod//a")[1].events[0]
    assert event["path"] == "/a"


def test_an_encoded_slash_is_one_segment() -> None:
    model = api(method("/things/{id}", "GET"))
    response, fake = call(model, path="/prod/things/a%2Fb")
    assert response.status == 200
    assert fake.events[0]["pathParameters"] == {"id": "a/b"}


# Item 7: test_proxy_routing_with_hardcoded_resource_sibling
def test_a_literal_resource_without_the_method_falls_through_to_the_proxy() -> None:
    model = api(method("/test", "POST"), method("/{proxy+}"))
    event = call(model, path="/prod/test", verb="GET")[1].events[0]
    assert event["resource"] == "/{proxy+}"
    assert call(model, path="/prod/test", verb="POST")[1].events[0]["resource"] == "/test"
    assert call(api(method("/test", "POST")), path="/prod/test")[0].status == 403


# Item 9: …non_post_method and header_remapping_aws (content-length mapping)
def test_misconfigured_proxy_integrations_are_500_at_request_time() -> None:
    assert "GET" in misconfiguration({"httpMethod": "GET"})
    mapped = {
        "httpMethod": "POST",
        "requestParameters": {"integration.request.header.Content-Length": "'1'"},
    }
    assert "Content-Length" in misconfiguration(mapped)
    assert misconfiguration({"httpMethod": "POST"}) == ""
    model = api(method("/{proxy+}", misconfiguration="httpMethod GET"))
    response, fake = call(model)
    assert (response.status, fake.events) == (500, [])
    assert response.body == b'{"message": "Internal server error"}'


# Item 10: gateway responses (status, template) and MOCK bodies
def test_a_gateway_response_sets_status_and_template() -> None:
    custom = CustomResponse(404, {"X-Why": "gone"}, '{"error":$context.error.messageString}')
    model = api(
        method("/things", "GET"), gateway_responses={"MISSING_AUTHENTICATION_TOKEN": custom}
    )
    response = call(model, path="/prod/nothing")[0]
    assert response.status == 404
    assert response.body == b'{"error":"Missing Authentication Token"}'
    assert response.header("X-Why") == "gone"


def test_a_mock_integration_answers_its_template_as_json() -> None:
    mock = MockResponse(200, {"X-Mock": "1"}, '{"statusCode": 200, "message": "working"}')
    model = api(method("/mock", "GET", integration_type="MOCK", function=None, mock=mock))
    response = call(model, path="/prod/mock")[0]
    assert response.status == 200
    assert response.body == b'{"statusCode": 200, "message": "working"}'
    assert response.header("Content-Type") == "application/json"


# Item 11
def test_event_ids_match_the_response_and_carry_the_deployment() -> None:
    response, fake = call(PROXY)
    context = fake.events[0]["requestContext"]
    assert context["deploymentId"] == "dep1"
    assert context["extendedRequestId"] == response.header("x-amz-apigw-id")


def test_oversize_headers_and_urls_are_refused() -> None:
    assert call(PROXY, headers=[("X-Big", "a" * 10_300)])[0].status == 431
    assert call(PROXY, path="/prod/" + "a" * 8_200)[0].status == 414
    assert call(PROXY, headers=[("X-Big", "a" * 9_000)])[0].status == 200


def test_semicolons_split_query_parameters_and_the_method_can_be_overridden() -> None:
    event = call(PROXY, query="a=1;b=2")[1].events[0]
    assert event["queryStringParameters"] == {"a": "1", "b": "2"}
    event = call(PROXY, headers=[("X-HTTP-Method-Override", "DELETE")], verb="POST")[1].events[0]
    assert event["httpMethod"] == "DELETE"


# Issue 14: one clock drives the authorizer cache through Gateway; the trace record
class ManualClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_injected_clock_expires_cached_authorizer_results() -> None:
    authorizer = Authorizer("a1", "REQUEST", "auth", ("method.request.header.Authorization",), 60)
    allow = {
        "principalId": "u",
        "policyDocument": {
            "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]
        },
    }
    fake = Lambda(authorizer=allow)
    clock = ManualClock()
    model = api(method("/{proxy+}", authorization_type="CUSTOM", authorizer=authorizer))
    gateway = Gateway(model, fake, clock=clock)
    get = Request("GET", "/prod/x", "", [("Authorization", "t")])
    for advance in (0, 59, 2):
        clock.now += advance
        assert gateway.handle(get).status == 200
    authorizer_calls = [e for e in fake.events if e.get("type") == "REQUEST"]
    assert len(authorizer_calls) == 2  # cached at 0 and 59 s, expired at 61 s


def test_observers_get_one_immutable_trace_per_request() -> None:
    traces: list[Trace] = []
    gateway = Gateway(PROXY, Lambda(), observer=traces.append)
    response = gateway.handle(Request("GET", "/prod/x", "", []))
    gateway.handle(Request("GET", "/nope", "", []))
    first, second = traces
    assert (first.status, first.resource_path, first.stage) == (200, "/{proxy+}", "prod")
    assert first.extended_request_id == response.header("x-amz-apigw-id")
    assert first.integration_ms is not None and first.response_length == len(response.body)
    assert (second.status, second.error_message) == (403, "Missing Authentication Token")
    assert not hasattr(response, "integration_ms")


def test_policy_wildcards_match_newlines() -> None:
    allow = {
        "principalId": "u",
        "policyDocument": {
            "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"{ARN}/prod/*/*"}
            ]
        },
    }
    authorizer = Authorizer("a1", "REQUEST", "auth", ("method.request.header.Authorization",), 0)
    model = api(method("/{proxy+}", authorization_type="CUSTOM", authorizer=authorizer))
    response = Gateway(model, Lambda(authorizer=allow)).handle(
        Request("GET", "/prod/a\nb", "", [("Authorization", "t")])
    )
    assert response.status == 200


def test_a_method_requiring_an_api_key_is_refused_when_the_api_loads() -> None:
    raw = {
        "authorizationType": "NONE",
        "apiKeyRequired": True,
        "methodIntegration": {"type": "MOCK"},
    }
    with pytest.raises(UnsupportedError, match="apiKeyRequired"):
        api_model.method({"path": "/k", "id": "r"}, "GET", raw, {})
