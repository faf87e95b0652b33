"""Lambda resource-based policies as API Gateway meets them, and the deploy checks' matcher."""

from __future__ import annotations

from typing import Any

import pytest

from localenv.gateway import deployments
from localenv.gateway.permissions import Caller, InvokePermissions, arn_like, method_arn
from localenv.resources import policy_match
from localenv.runtime.runtime_api import RESPONSE_LIMIT_BYTES, Invocation, record_response

API = "arn:aws:execute-api:us-east-1:123456789012:abc123"


def statement(**extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Service": "apigateway.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        **extra,
    }


@pytest.mark.parametrize(
    ("glob", "arn", "expected"),
    [
        (f"{API}/prod/POST/dataproc", f"{API}/prod/POST/dataproc", True),
        (f"{API}/*/POST/dataproc", f"{API}/prod/POST/dataproc", True),
        (f"{API}/prod/GET/dataproc/*", f"{API}/prod/GET/dataproc/{{id}}", True),
        (f"{API}/prod/GET/dataproc/*", f"{API}/prod/GET/dataproc", False),
        (f"{API}/prod/POST/dataproc", f"{API}/prod/GET/dataproc", False),
        # A wildcard in one ARN part never matches across a colon into another part.
        ("arn:aws:execute-api:*", f"{API}/prod/GET/x", False),
        ("arn:aws:execute-api:*:*:*", f"{API}/prod/GET/x", True),
        ("arn:aws:execute-api:us-east-?:123456789012:abc123/*", f"{API}/prod/GET/x", True),
    ],
)
def test_arn_like_matches_part_by_part(glob: str, arn: str, expected: bool) -> None:
    assert arn_like(glob, arn) is expected


def test_source_arn_and_account_must_both_hold() -> None:
    caller = Caller(f"{API}/prod/POST/dataproc", "123456789012")
    grants = InvokePermissions(
        {
            "ok": (
                statement(
                    Condition={
                        "ArnLike": {"AWS:SourceArn": f"{API}/*/POST/dataproc"},
                        "StringEquals": {"AWS:SourceAccount": "123456789012"},
                    }
                ),
            ),
            "other-account": (
                statement(Condition={"StringEquals": {"AWS:SourceAccount": "999999999999"}}),
            ),
            "other-principal": (statement(Principal={"Service": "events.amazonaws.com"}),),
            "other-action": (statement(Action="lambda:GetFunction"),),
            "any-lambda-action": (statement(Action="lambda:*"),),
        }
    )
    assert grants.refusal("ok", caller) is None
    assert grants.refusal("any-lambda-action", caller) is None
    for refused in ("other-account", "other-principal", "other-action", "absent"):
        reason = grants.refusal(refused, caller)
        assert reason is not None and refused in reason and caller.source_arn in reason


def test_an_unknown_condition_operator_refuses_and_says_so() -> None:
    grants = InvokePermissions(
        {"f": (statement(Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),)}
    )
    reason = grants.refusal("f", Caller(f"{API}/prod/GET/x", "123456789012"))
    assert reason is not None and "IpAddress" in reason


def test_any_method_is_the_star_verb_in_its_arn() -> None:
    arn = method_arn("us-east-1", "123456789012", "abc123", "prod", "ANY", "/{proxy+}")
    assert arn == f"{API}/prod/*/{{proxy+}}"


def test_policy_match_explicit_deny_wins_and_unmet_conditions_do_not_allow() -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*"}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": "logs:PutLogEvents", "Resource": "*"}]}
    conditional = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "*",
                "Resource": "*",
                # A key the deploy check's request does not carry: IAM does not match it.
                "Condition": {"Bool": {"aws:SecureTransport": "true"}},
            }
        ]
    }
    put = policy_match.Request("logs:PutLogEvents", "arn:aws:logs:us-east-1:1:log-group:g")
    assert policy_match.evaluate([allow], put) == "allowed"
    assert policy_match.evaluate([allow, deny], put) == "denied"
    assert policy_match.evaluate([conditional], put) == "not allowed"
    assert policy_match.evaluate([], put) == "not allowed"


def test_policy_match_not_action_and_resource_scoping() -> None:
    scoped = {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["LOGS:CreateLogStream"],
                "Resource": "arn:aws:logs:*:*:log-group:/aws/lambda/f:log-stream:*",
            },
            {"Effect": "Allow", "NotAction": "iam:*", "NotResource": "arn:aws:s3:::*"},
        ]
    }
    stream = "arn:aws:logs:us-east-1:1:log-group:/aws/lambda/f:log-stream:s"
    assert policy_match.evaluate([scoped], policy_match.Request("logs:createlogstream", stream))
    assert (
        policy_match.evaluate([scoped], policy_match.Request("iam:PassRole", stream))
        == "not allowed"
    )
    wildcard = policy_match.Request("logs:CreateLogStream", "*")
    assert policy_match.evaluate([scoped], wildcard) == "allowed"  # via the NotAction statement


def test_trust_policy_needs_the_service_and_sts_assume_role() -> None:
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["lambda.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ]
    }
    assert policy_match.trusts(trust, "lambda.amazonaws.com")
    assert not policy_match.trusts(trust, "apigateway.amazonaws.com")


def definition(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "binaryMediaTypes": [],
        "methods": {"/a GET": {"httpMethod": "GET"}},
        "authorizers": {"x": {"name": "auth"}},
        "gatewayResponses": {},
    }
    return {**base, **changes}


def test_changes_counts_each_method_authorizer_response_and_media_types() -> None:
    served = definition()
    assert deployments.changes(definition(), served) == 0
    changed = definition(
        methods={"/b POST": {"httpMethod": "POST"}},  # one removed, one added
        binaryMediaTypes=["image/png"],
        gatewayResponses={"DEFAULT_4XX": {}},
    )
    assert deployments.changes(changed, served) == 4


def test_a_response_over_6291556_bytes_is_lambdas_function_error() -> None:
    at_limit = Invocation("r", b"", 0, "arn", "t")
    record_response(at_limit, b"x" * RESPONSE_LIMIT_BYTES)
    assert at_limit.error is None and at_limit.response is not None
    over = Invocation("r", b"", 0, "arn", "t")
    record_response(over, b"x" * (RESPONSE_LIMIT_BYTES + 1))
    assert over.response is None
    assert over.error == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
