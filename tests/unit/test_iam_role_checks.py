"""A role whose policies the local evaluator cannot evaluate is refused before it exists."""

from __future__ import annotations

from typing import Any

import pytest

from localenv.intrinsics import UnsupportedError
from localenv.resources.iam import check_evaluable

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


class FakeIam:
    """In-memory IAM holding managed policies by ARN."""

    def __init__(self, documents: dict[str, dict[str, Any]]):
        self.documents = documents

    def get_policy(self, PolicyArn: str) -> dict[str, Any]:  # noqa: N803
        return {"Policy": {"DefaultVersionId": "v1"}}

    def get_policy_version(self, PolicyArn: str, VersionId: str) -> dict[str, Any]:  # noqa: N803
        return {"PolicyVersion": {"Document": self.documents[PolicyArn]}}


def statement(**extra: Any) -> dict[str, Any]:
    return {"Statement": [{"Effect": "Allow", "Action": "logs:*", "Resource": "*", **extra}]}


def test_evaluable_inline_managed_and_boundary_policies_pass() -> None:
    iam = FakeIam({BASIC: statement(), "arn:aws:iam::1:policy/b": statement()})
    props = {
        "Policies": [{"PolicyName": "p", "PolicyDocument": statement()}],
        "ManagedPolicyArns": [BASIC],
        "PermissionsBoundary": "arn:aws:iam::1:policy/b",
    }
    check_evaluable(iam, "Role", props)


def test_a_policy_variable_in_an_inline_policy_refuses_the_role() -> None:
    props = {
        "Policies": [
            {
                "PolicyName": "own-prefix",
                "PolicyDocument": {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/${aws:username}/*",
                        }
                    ]
                },
            }
        ]
    }
    with pytest.raises(
        UnsupportedError, match=r"ProcessorRole \(AWS::IAM::Role\).*policy variable"
    ):
        check_evaluable(FakeIam({}), "ProcessorRole", props)


def test_an_unknown_operator_in_a_boundary_refuses_the_role() -> None:
    dated = statement(Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
    iam = FakeIam({"arn:aws:iam::1:policy/b": dated})
    with pytest.raises(UnsupportedError, match="DateLessThan"):
        check_evaluable(iam, "Role", {"PermissionsBoundary": "arn:aws:iam::1:policy/b"})
