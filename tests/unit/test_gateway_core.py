"""The gateway core without a socket: routing, authorizer step, proxy responses, throttling.

The invoker is an in-memory fake standing in for the Lambda runtime.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localenv.gateway import routing
from localenv.gateway.api_model import (
    ApiModel,
    Authorizer,
    CustomResponse,
    Method,
    Throttle,
    function_name,
)
from localenv.gateway.authorization import evaluate, validate
from localenv.gateway.core import Gateway, MalformedProxyResponseError, proxy_response
from localenv.gateway.permissions import InvokePermissions
from localenv.gateway.requests import Request
from localenv.gateway.throttling import TokenBucket
from localenv.gateway.trace import Trace
from localenv.iam.matching import glob
from localenv.runtime.environment import Outcome, OutcomeKind

AUTH = Authorizer("a1", "REQUEST", "auth-fn", ("method.request.header.Authorization",), 300)


def grant(source_arn: str) -> dict[str, Any]:
    """A statement as AWS::Lambda::Permission adds it (GetPolicy's shape)."""
    return {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Condition": {"ArnLike": {"AWS:SourceArn": source_arn}},
    }


EXECUTE_API = "arn:aws:execute-api:us-east-1:123456789012:api1"
GRANTS = {
    "app-fn": (grant(f"{EXECUTE_API}/prod/GET/things"), grant(f"{EXECUTE_API}/prod/GET/things/*")),
    "auth-fn": (grant(f"{EXECUTE_API}/authorizers/a1"),),
}


def model(
    throttle: Throttle | None = None,
    ttl: int = 300,
    grants: dict[str, tuple[dict[str, Any], ...]] = GRANTS,
) -> ApiModel:
    authorizer = Authorizer("a1", "REQUEST", "auth-fn", AUTH.identity_sources, ttl)
    methods = {
        ("/things", "GET"): Method(
            "GET", "r1", "/things", "CUSTOM", authorizer, "AWS_PROXY", "app-fn", 29_000
        ),
        ("/things/{id}", "GET"): Method(
            "GET", "r2", "/things/{id}", "CUSTOM", authorizer, "AWS_PROXY", "app-fn", 29_000
        ),
    }
    return ApiModel(
        "api1",
        "api",
        "prod",
        "us-east-1",
        "123456789012",
        ("text/plain",),
        methods,
        throttle,
        {"DEFAULT_4XX": CustomResponse(None, {"Access-Control-Allow-Origin": "*"})},
        permissions=InvokePermissions(grants),
    )


class FakeLambda:
    """Answers like the runtime: the authorizer allows the stage; the app echoes."""

    def __init__(self, authorizer_output: Any = None, app_output: Any = None):
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.authorizer_output = authorizer_output
        self.app_output = app_output

    def __call__(self, function: str, payload: bytes) -> Outcome:
        event = json.loads(payload)
        self.calls.append((function, event))
        if function == "auth-fn":
            if self.authorizer_output == "Unauthorized":
                return Outcome(OutcomeKind.FUNCTION_ERROR, error={"errorMessage": "Unauthorized"})
            output = self.authorizer_output or {
                "principalId": "u1",
                "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "execute-api:Invoke",
                            "Resource": "arn:aws:execute-api:us-east-1:123456789012:api1/prod/*/*",
                        }
                    ],
                },
                "context": {"sub": "u1"},
            }
            return Outcome(OutcomeKind.OK, payload=json.dumps(output).encode())
        output = self.app_output or {"statusCode": 200, "body": json.dumps(event)}
        return Outcome(OutcomeKind.OK, payload=json.dumps(output).encode())


def request(
    path: str, headers: list[tuple[str, str]] | None = None, method: str = "GET", body: bytes = b""
) -> Request:
    return Request(
        method, path, "", headers if headers is not None else [("Authorization", "Bearer t")], body
    )


def test_route_match_prefers_literals_over_parameters() -> None:
    paths = ["/things/{id}", "/things/special", "/{proxy+}"]
    assert routing.match("/things/special", paths) == routing.Match("/things/special", {})
    assert routing.match("/things/7", paths) == routing.Match("/things/{id}", {"id": "7"})
    assert routing.match("/a/b/c", paths) == routing.Match("/{proxy+}", {"proxy": "a/b/c"})
    assert routing.match("/things/7/x", ["/things/{id}"]) is None


def test_unknown_route_is_403_missing_authentication_token() -> None:
    fake = FakeLambda()
    response = Gateway(model(), fake).handle(request("/prod/nope"))
    assert response.status == 403
    assert response.body == b'{"message":"Missing Authentication Token"}'
    assert response.header("Access-Control-Allow-Origin") == "*"  # DEFAULT_4XX headers
    assert fake.calls == []


def test_missing_identity_source_is_401_without_invoking() -> None:
    fake = FakeLambda()
    response = Gateway(model(), fake).handle(request("/prod/things", headers=[]))
    assert (response.status, response.body) == (401, b'{"message":"Unauthorized"}')
    assert fake.calls == []


def test_missing_identity_source_with_ttl_0_invokes_the_authorizer() -> None:
    fake = FakeLambda(authorizer_output="Unauthorized")
    response = Gateway(model(ttl=0), fake).handle(request("/prod/things", headers=[]))
    assert response.status == 401
    assert [c[0] for c in fake.calls] == ["auth-fn"]


def test_cached_policy_serves_sibling_routes_and_the_event_carries_its_context() -> None:
    fake = FakeLambda()
    gateway = Gateway(model(), fake)
    first = gateway.handle(request("/prod/things"))
    second = gateway.handle(request("/prod/things/9"))
    assert (first.status, second.status) == (200, 200)
    assert [c[0] for c in fake.calls] == ["auth-fn", "app-fn", "app-fn"]
    event = json.loads(second.body)
    assert event["requestContext"]["authorizer"]["principalId"] == "u1"
    assert event["requestContext"]["authorizer"]["sub"] == "u1"
    assert event["pathParameters"] == {"id": "9"}
    assert second.header("x-amzn-RequestId") == event["requestContext"]["requestId"]


def test_authorizer_method_arn_names_the_request() -> None:
    fake = FakeLambda()
    Gateway(model(), fake).handle(request("/prod/things/9"))
    arn = fake.calls[0][1]["methodArn"]
    assert arn == "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/things/9"


def test_text_plain_body_is_base64_in_the_event() -> None:
    fake = FakeLambda()
    response = Gateway(model(), fake).handle(
        request(
            "/prod/things", [("Authorization", "t"), ("Content-Type", "text/plain")], body=b"hi"
        )
    )
    event = json.loads(response.body)
    assert (event["body"], event["isBase64Encoded"]) == ("aGk=", True)


def test_token_bucket_rate_and_burst_with_a_driven_clock() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=2, burst=3, clock=lambda: now[0])
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    now[0] = 0.5  # one token back at 2 per second
    assert [bucket.take(), bucket.take()] == [True, False]


def test_throttled_stage_answers_429() -> None:
    gateway = Gateway(model(Throttle(rate=0.0001, burst=1)), FakeLambda())
    assert gateway.handle(request("/prod/things")).status == 200
    throttled = gateway.handle(request("/prod/things"))
    assert (throttled.status, throttled.body) == (429, b'{"message":"Too Many Requests"}')


@pytest.mark.parametrize(
    "output",
    [
        [],
        "text",
        {},  # invoke-api-empty-response
        {"statusCode": "test"},  # invoke-api-invalid-status-code
        {"statusCode": 200, "body": 5},
        {"statusCode": 200, "extra": 1},
        {"statusCode": 200, "headers": []},
        {"statusCode": 200, "headers": {"a": {"b": 1}}},
        {"statusCode": 99},
    ],
)
def test_malformed_proxy_responses_are_rejected(output: Any) -> None:
    with pytest.raises(MalformedProxyResponseError):
        proxy_response(json.dumps(output).encode())


def test_malformed_proxy_response_is_502_without_the_functions_text() -> None:
    gateway = Gateway(model(), FakeLambda(app_output={"statusCode": 200, "oops": "secret"}))
    response = gateway.handle(request("/prod/things"))
    assert (response.status, response.body) == (502, b'{"message": "Internal server error"}')


def test_proxy_response_headers_and_base64_body() -> None:
    response = proxy_response(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-One": 1, "Content-Type": "text/plain"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "aGk=",
                "isBase64Encoded": True,
            }
        ).encode()
    )
    assert response.status == 201
    assert response.body == b"hi"
    assert ("Set-Cookie", "a=1") in response.headers
    assert ("Set-Cookie", "b=2") in response.headers
    assert ("X-One", "1") in response.headers


def test_policy_evaluation_explicit_deny_wins_and_wildcards_match() -> None:
    arn = "arn:aws:execute-api:us-east-1:1:api/prod/GET/things"
    allow = {"Effect": "Allow", "Action": "execute-api:*", "Resource": "arn:aws:execute-api:*"}
    deny = {"Effect": "Deny", "Action": "*", "Resource": ["arn:aws:execute-api:us-east-1:1:api/*"]}
    assert (
        evaluate({"principalId": "p", "policyDocument": {"Statement": [allow]}}, arn).error is None
    )
    assert (
        evaluate(
            {"principalId": "p", "policyDocument": {"Statement": [allow, deny]}}, arn
        ).error.name
        == "EXPLICIT_DENY"
    )  # type: ignore[union-attr]
    other = {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "arn:aws:x:*"}
    assert (
        evaluate({"principalId": "p", "policyDocument": {"Statement": other}}, arn).error.name
        == "IMPLICIT_DENY"
    )  # type: ignore[union-attr]
    assert glob("a?c*", "abcdef")
    assert not glob("a?c", "abcd")


@pytest.mark.parametrize(
    "output",
    [
        {},
        {"principalId": 1, "policyDocument": {"Statement": []}},
        {"principalId": "p"},
        {"principalId": "p", "policyDocument": {"Statement": [{}]}},
        {"principalId": "p", "policyDocument": {"Statement": []}, "context": {"a": [1]}},
    ],
)
def test_bad_authorizer_output_is_refused(output: Any) -> None:
    with pytest.raises(ValueError):
        validate(json.dumps(output).encode())


def test_bad_authorizer_output_is_500_null() -> None:
    gateway = Gateway(model(), FakeLambda(authorizer_output={"principalId": "p"}))
    response = gateway.handle(request("/prod/things"))
    assert (response.status, response.body) == (500, b'{"message": null}')


def test_integration_uri_names_the_function() -> None:
    uri = (
        "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:us-east-1:123456789012:function:my-fn/invocations"
    )
    assert function_name(uri, "x") == "my-fn"


def test_an_integration_without_an_invoke_permission_is_a_500_and_says_why() -> None:
    fake = FakeLambda()
    grants = {"auth-fn": GRANTS["auth-fn"], "app-fn": GRANTS["app-fn"][:1]}  # /things only
    traces: list[Trace] = []
    gateway = Gateway(model(grants=grants), fake, observer=traces.append)
    assert gateway.handle(request("/prod/things")).status == 200
    refused = gateway.handle(request("/prod/things/9"))
    assert (refused.status, refused.body) == (500, b'{"message": "Internal server error"}')
    assert "app-fn" in traces[-1].error_message
    assert f"{EXECUTE_API}/prod/GET/things/{{id}}" in traces[-1].error_message
    assert [c[0] for c in fake.calls] == ["auth-fn", "app-fn"]  # never invoked for /things/9


def test_an_authorizer_without_an_invoke_permission_is_a_500_and_is_not_invoked() -> None:
    fake = FakeLambda()
    traces: list[Trace] = []
    response = Gateway(
        model(grants={"app-fn": GRANTS["app-fn"]}), fake, observer=traces.append
    ).handle(request("/prod/things"))
    assert (response.status, response.body) == (500, b'{"message": null}')
    message = traces[-1].error_message
    assert "auth-fn" in message and "no resource-based policy" in message
    assert fake.calls == []
