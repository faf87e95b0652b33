"""IAM's evaluation logic, matching and condition operators, without I/O."""

from __future__ import annotations

from typing import Any

import pytest

from localenv.iam.conditions import holds, parse_conditions
from localenv.iam.evaluator import (
    Decision,
    IamRequest,
    PolicyKind,
    Verdict,
    denial_message,
    evaluate,
)
from localenv.iam.matching import action_matches, resource_matches
from localenv.iam.policy import Policy, PolicyError, parse

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/data"
OTHER = "arn:aws:dynamodb:us-east-1:123456789012:table/other"
SESSION = "arn:aws:sts::123456789012:assumed-role/writer/processor"


def policy(*statements: dict[str, Any]) -> Policy:
    return parse("p", {"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def request(action: str, *resources: str, **context: list[str]) -> IamRequest:
    return IamRequest(action, resources, {k.lower(): v for k, v in context.items()})


def test_nothing_granted_is_an_implicit_deny() -> None:
    decision = evaluate(request("dynamodb:PutItem", TABLE), [])
    assert decision == Decision(Verdict.IMPLICIT_DENY, TABLE, PolicyKind.IDENTITY)


def test_an_allow_for_the_action_and_resource_allows() -> None:
    granted = [policy(allow(["dynamodb:PutItem", "dynamodb:BatchWriteItem"], TABLE))]
    assert evaluate(request("dynamodb:BatchWriteItem", TABLE), granted).allowed


def test_an_explicit_deny_wins_over_an_allow_in_another_policy() -> None:
    granted = [policy(allow("dynamodb:*")), policy(deny("dynamodb:DeleteTable", TABLE))]
    decision = evaluate(request("dynamodb:DeleteTable", TABLE), granted)
    assert decision.verdict is Verdict.EXPLICIT_DENY


def test_every_resource_of_a_batch_must_be_allowed() -> None:
    granted = [policy(allow("dynamodb:BatchWriteItem", TABLE))]
    decision = evaluate(request("dynamodb:BatchWriteItem", TABLE, OTHER), granted)
    assert (decision.verdict, decision.resource) == (Verdict.IMPLICIT_DENY, OTHER)


def test_actions_match_case_insensitively_resources_case_sensitively() -> None:
    assert action_matches("DynamoDB:putitem", "dynamodb:PutItem")
    assert not resource_matches(TABLE.upper(), TABLE)


@pytest.mark.parametrize(
    ("pattern", "arn", "matches"),
    [
        ("arn:aws:dynamodb:*:*:table/data", TABLE, True),
        ("arn:aws:dynamodb:us-east-?:*:table/*", TABLE, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/dat?", TABLE, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/data", TABLE + "/index/byOwner", False),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/data*", TABLE + "/index/byOwner", True),
        (
            "arn:aws:logs:*:*:log-group:g:*",
            "arn:aws:logs:us-east-1:1:log-group:g:log-stream:s",
            True,
        ),
        ("arn:aws:*", TABLE, True),  # a trailing * expands past the colons
        ("arn:aws:dyn*db:us-east-1:123456789012:table/data", TABLE, True),
        # a * ending its segment may expand past the colon (IAM's documented rule) ...
        ("arn:aws:dynamodb:us-*:table/data", TABLE, True),
        # ... one inside its segment never spans into the next
        ("arn:aws:dynamodb:us-*1:table/data", TABLE, False),
        ("arn:aws:dynamodb:us-*123456789012:table/data", TABLE, False),
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b:c", True),
    ],
)
def test_resource_wildcards_stay_within_their_arn_segment(
    pattern: str, arn: str, matches: bool
) -> None:
    assert resource_matches(pattern, arn) is matches


def test_not_action_allows_everything_else() -> None:
    granted = [policy({"Effect": "Allow", "NotAction": "dynamodb:DeleteTable", "Resource": "*"})]
    assert evaluate(request("dynamodb:PutItem", TABLE), granted).allowed
    assert not evaluate(request("dynamodb:DeleteTable", TABLE), granted).allowed


def test_not_resource_denies_everything_but_the_table() -> None:
    granted = [
        policy(
            allow("dynamodb:*"), {"Effect": "Deny", "Action": "dynamodb:*", "NotResource": TABLE}
        )
    ]
    assert evaluate(request("dynamodb:PutItem", TABLE), granted).allowed
    assert evaluate(request("dynamodb:PutItem", OTHER), granted).verdict is Verdict.EXPLICIT_DENY


def test_a_permissions_boundary_caps_what_the_identity_policies_allow() -> None:
    granted = [policy(allow("dynamodb:*"))]
    boundary = [policy(allow("dynamodb:GetItem"))]
    assert evaluate(request("dynamodb:GetItem", TABLE), granted, boundary).allowed
    decision = evaluate(request("dynamodb:PutItem", TABLE), granted, boundary)
    assert (decision.verdict, decision.kind) == (Verdict.IMPLICIT_DENY, PolicyKind.BOUNDARY)


def test_the_denial_message_has_aws_form() -> None:
    decision = evaluate(request("dynamodb:BatchWriteItem", TABLE), [])
    assert denial_message(SESSION, "dynamodb:BatchWriteItem", decision) == (
        f"User: {SESSION} is not authorized to perform: dynamodb:BatchWriteItem on resource: "
        f"{TABLE} because no identity-based policy allows the dynamodb:BatchWriteItem action"
    )
    explicit = Decision(Verdict.EXPLICIT_DENY, TABLE, PolicyKind.IDENTITY)
    assert denial_message(SESSION, "dynamodb:PutItem", explicit).endswith(
        "with an explicit deny in an identity-based policy"
    )


def condition(block: dict[str, Any]) -> Any:
    (parsed,) = parse_conditions(block, "test", PolicyError)
    return parsed


@pytest.mark.parametrize(
    ("block", "context", "expected"),
    [
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, ["us-east-1"], True),
        (
            {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}},
            ["us-east-1"],
            True,
        ),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, ["us-east-1"], False),
        ({"StringLike": {"aws:RequestedRegion": "us-*"}}, ["us-east-1"], True),
        ({"StringEqualsIgnoreCase": {"aws:RequestedRegion": "US-EAST-1"}}, ["us-east-1"], True),
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, None, False),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, None, True),
        ({"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}, None, True),
        ({"StringEqualsIfExists": {"aws:RequestedRegion": "eu-west-1"}}, ["us-east-1"], False),
        ({"Null": {"aws:RequestedRegion": "true"}}, None, True),
        ({"Null": {"aws:RequestedRegion": "false"}}, None, False),
        ({"Bool": {"aws:SecureTransport": "true"}}, ["true"], True),
        ({"NumericLessThan": {"aws:EpochTime": "100"}}, ["99"], True),
        ({"NumericGreaterThanEquals": {"aws:EpochTime": "100"}}, ["99"], False),
        (
            {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/w*"}},
            ["arn:aws:iam::1:role/writer"],
            True,
        ),
        (
            {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/w*"}},
            ["arn:aws:iam::1:role/reader"],
            True,
        ),
        ({"ForAnyValue:StringEquals": {"aws:RequestedRegion": ["a", "b"]}}, ["b", "c"], True),
        ({"ForAllValues:StringEquals": {"aws:RequestedRegion": ["a", "b"]}}, ["b", "c"], False),
        ({"ForAllValues:StringEquals": {"aws:RequestedRegion": ["a", "b"]}}, None, True),
        ({"ForAnyValue:StringEquals": {"aws:RequestedRegion": ["a", "b"]}}, None, False),
    ],
)
def test_condition_operators(
    block: dict[str, Any], context: list[str] | None, expected: bool
) -> None:
    parsed = condition(block)
    values = {} if context is None else {parsed.key: context}
    assert holds(parsed, values) is expected


def test_conditions_in_a_statement_are_anded() -> None:
    both = {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"},
        "Bool": {"aws:SecureTransport": "true"},
    }
    granted = [policy(allow("dynamodb:GetItem", TABLE, Condition=both))]
    ok = request(
        "dynamodb:GetItem",
        TABLE,
        **{"aws:RequestedRegion": ["us-east-1"], "aws:SecureTransport": ["true"]},
    )
    wrong = request(
        "dynamodb:GetItem",
        TABLE,
        **{"aws:RequestedRegion": ["us-east-1"], "aws:SecureTransport": ["false"]},
    )
    assert evaluate(ok, granted).allowed
    assert not evaluate(wrong, granted).allowed


@pytest.mark.parametrize(
    ("statement", "complaint"),
    [
        (
            allow("dynamodb:GetItem", "arn:aws:dynamodb:*:*:table/${aws:username}"),
            "policy variable",
        ),
        (
            allow("s3:GetObject", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}}),
            "DateGreaterThan",
        ),
        (
            allow(
                "dynamodb:Query",
                Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["x"]}},
            ),
            "dynamodb:LeadingKeys",
        ),
        (allow("s3:GetObject", Principal="*"), "Principal"),
        (
            {"Effect": "Allow", "Action": "s3:*", "NotAction": "s3:Get*", "Resource": "*"},
            "exactly one",
        ),
        ({"Effect": "Maybe", "Action": "s3:*", "Resource": "*"}, "Effect"),
    ],
)
def test_what_is_not_evaluated_locally_is_refused(
    statement: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(PolicyError, match=complaint):
        policy(statement)


def test_many_wildcards_against_a_long_value_that_does_not_match() -> None:
    """A backtracking regular expression of these patterns takes time of the order of
    the value's length to the power of the wildcard count (this would not finish); the
    matcher reads the value once."""
    value = "a" * 5000
    assert not action_matches("a*a*a*a*a*a*a*a*b", value)
    assert not resource_matches(
        "arn:aws:execute-api:*:*:a*a*a*a*a*a*/x*a*a*a*b", f"arn:aws:execute-api:r:1:{value}"
    )
    assert resource_matches(
        "arn:aws:execute-api:*:*:a*a*a*a*a*a*", f"arn:aws:execute-api:r:1:{value}"
    )
    assert not resource_matches("arn:a?s:*", "arn:a:s:x")  # ? stays within its segment
