"""The authorizer entry point: policies, context, Deny, and the exact 'Unauthorized' error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from handlers import authorizer
from handlers.policy import MethodArnError, stage_wildcard
from tests.jwks_server import JwksServer, serving
from tests.sample_events import load
from tests.token_factory import CLIENT_ID, ISSUER, SigningKey, access_claims, jwks
from tests.unit.conftest import LambdaContext

KEY = SigningKey("live-key")


@pytest.fixture
def jwks_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[JwksServer]:
    authorizer.jwks_cache.cache_clear()
    with serving(jwks(KEY)) as server:
        monkeypatch.setenv("COGNITO_ISSUER", ISSUER)
        monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("JWKS_URL", server.url)
        yield server
    authorizer.jwks_cache.cache_clear()


def request(token: str | None, header: str = "Authorization") -> dict[str, Any]:
    event = load("authorizer_request")
    event["headers"] = {"Content-Type": "text/plain"}
    if token is not None:
        event["headers"][header] = f"Bearer {token}"
    return event


def fresh_claims(**overrides: Any) -> dict[str, Any]:
    import time

    now = int(time.time())
    return access_claims(iat=now, auth_time=now, exp=now + 600, **overrides)


def test_valid_token_is_allowed_on_every_method_of_the_stage(
    jwks_server: JwksServer, context: LambdaContext
) -> None:
    response = authorizer.handler(request(KEY.sign(fresh_claims())), context)
    (statement,) = response["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/*/*",
    }
    assert response["principalId"] == access_claims()["sub"]
    assert response["context"] == {
        "sub": access_claims()["sub"],
        "username": access_claims()["username"],
        "scope": "aws.cognito.signin.user.admin",
    }
    assert all(isinstance(v, str) for v in response["context"].values())


def test_header_name_in_any_case(jwks_server: JwksServer, context: LambdaContext) -> None:
    event = request(KEY.sign(fresh_claims()), header="AUTHORIZATION")
    assert authorizer.handler(event, context)["principalId"]


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
def test_missing_or_bad_token_raises_exactly_unauthorized(
    jwks_server: JwksServer, context: LambdaContext, token: str | None
) -> None:
    with pytest.raises(Exception) as caught:
        authorizer.handler(request(token), context)
    assert type(caught.value) is Exception
    assert str(caught.value) == "Unauthorized"


def test_expired_token_raises_unauthorized(jwks_server: JwksServer, context: LambdaContext) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(request(KEY.sign(access_claims(exp=1000))), context)


def test_user_outside_the_required_group_gets_an_explicit_deny(
    jwks_server: JwksServer, context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUIRED_GROUP", "uploaders")
    denied = authorizer.handler(request(KEY.sign(fresh_claims())), context)
    assert denied["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    member = KEY.sign(fresh_claims(**{"cognito:groups": ["uploaders"]}))
    allowed = authorizer.handler(request(member), context)
    assert allowed["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_jwks_is_fetched_once_across_invocations(
    jwks_server: JwksServer, context: LambdaContext
) -> None:
    for _ in range(3):
        authorizer.handler(request(KEY.sign(fresh_claims())), context)
    assert jwks_server.requests == 1


def test_unreachable_jwks_is_unauthorized(
    context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    authorizer.jwks_cache.cache_clear()
    server = JwksServer({})
    url = server.url
    server.httpd.server_close()  # nothing listens there any more
    monkeypatch.setenv("COGNITO_ISSUER", ISSUER)
    monkeypatch.setenv("COGNITO_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("JWKS_URL", url)
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        authorizer.handler(request(KEY.sign(fresh_claims())), context)


def test_missing_configuration_is_an_error_not_a_401(context: LambdaContext) -> None:
    from handlers.settings import ConfigError

    with pytest.raises(ConfigError):
        authorizer.handler(request(KEY.sign(fresh_claims())), context)


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:execute-api:eu-west-1:111122223333:api1/prod/GET/dataproc/abc",
            "arn:aws:execute-api:eu-west-1:111122223333:api1/prod/*/*",
        ),
        (
            "arn:aws-cn:execute-api:cn-north-1:111122223333:api1/v2/POST/dataproc",
            "arn:aws-cn:execute-api:cn-north-1:111122223333:api1/v2/*/*",
        ),
    ],
)
def test_stage_wildcard(arn: str, expected: str) -> None:
    assert stage_wildcard(arn) == expected


@pytest.mark.parametrize("arn", ["", "arn:aws:lambda:us-east-1:1:function:f", "not an arn"])
def test_malformed_method_arn_is_an_error(arn: str) -> None:
    with pytest.raises(MethodArnError):
        stage_wildcard(arn)


# Defect 9: unauthenticated input never makes the authorizer fail.


def iam_resource_matches(pattern: str, arn: str) -> bool:
    """IAM's resource matching: ``*`` is any run of characters (newlines too), ``?`` one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, arn, re.DOTALL) is not None


@pytest.mark.parametrize(
    "path", ["dataproc/\n", "dataproc/a\nb", "\n", "dataproc/\r\n/x", "dataproc/\u2028"]
)
def test_a_path_with_line_breaks_is_allowed_and_covered_by_the_policy(
    jwks_server: JwksServer, context: LambdaContext, path: str
) -> None:
    arn = f"arn:aws:execute-api:us-east-1:123456789012:abc123defg/prod/GET/{path}"
    event = {**request(KEY.sign(fresh_claims())), "methodArn": arn}
    response = authorizer.handler(event, context)
    (statement,) = response["policyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert iam_resource_matches(statement["Resource"], arn)


@pytest.mark.parametrize("arn", ["", "arn:aws:lambda:us-east-1:1:function:f", "not an arn"])
def test_a_malformed_method_arn_is_401_not_a_failure(
    jwks_server: JwksServer, context: LambdaContext, arn: str
) -> None:
    event = {**request(KEY.sign(fresh_claims())), "methodArn": arn}
    with pytest.raises(Exception) as caught:
        authorizer.handler(event, context)
    assert (type(caught.value), str(caught.value)) == (Exception, "Unauthorized")


def test_the_policy_document_is_exactly_what_api_gateway_reads() -> None:
    from handlers.policy import authorizer_response

    assert authorizer_response("p", "Deny", "arn:r", {"sub": "p"}) == {
        "principalId": "p",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": "arn:r"}],
        },
        "context": {"sub": "p"},
    }


def test_missing_username_and_scope_are_empty_strings_in_the_context(
    jwks_server: JwksServer, context: LambdaContext
) -> None:
    token = KEY.sign(fresh_claims(username=None, scope=None))
    response = authorizer.handler(request(token), context)
    assert response["context"] == {"sub": access_claims()["sub"], "username": "", "scope": ""}
