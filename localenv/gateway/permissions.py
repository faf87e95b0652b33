"""Lambda resource-based policies, as API Gateway meets them when it invokes a function.

API Gateway invokes an integration or an authorizer function only when the
function's resource-based policy (what ``AWS::Lambda::Permission`` adds) allows
the service principal ``apigateway.amazonaws.com`` to call
``lambda:InvokeFunction`` from the method's or the authorizer's ARN; otherwise
the request fails with a 500.
https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
https://docs.aws.amazon.com/apigateway/latest/developerguide/permissions.html

Policies are read back from the emulator (``GetPolicy``) when the API model loads,
not per request. ``ArnLike`` compares the six colon-separated ARN parts one by one,
so a wildcard never matches across a colon of the first five parts, as IAM does:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN
Wildcards are IAM's, from the one matcher the IAM evaluator uses (``iam/matching.py``):
``*`` any run of characters, newlines included, ``?`` one character.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from localenv.iam.matching import glob

PRINCIPAL = "apigateway.amazonaws.com"
ACTION = "lambda:InvokeFunction"
ARN_PARTS = 6


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class PolicyConditionError(ValueError):
    """A condition this evaluator does not know: refused, never silently allowed."""


def arn_like(pattern: str, arn: str) -> bool:
    wanted, actual = pattern.split(":", ARN_PARTS - 1), arn.split(":", ARN_PARTS - 1)
    if len(wanted) != ARN_PARTS or len(actual) != ARN_PARTS:
        return False
    return all(glob(w, a) for w, a in zip(wanted, actual, strict=True))


def string_like(pattern: str, value: str) -> bool:
    return glob(pattern, value)


OPERATORS = {
    "ArnLike": arn_like,
    "ArnEquals": arn_like,  # ArnEquals takes wildcards too, per the IAM reference above
    "StringEquals": lambda wanted, value: wanted == value,
    "StringLike": string_like,
}


@dataclass(frozen=True)
class Caller:
    """What API Gateway's invocation carries: the source ARN and the API's account."""

    source_arn: str
    source_account: str


def condition_holds(condition: Mapping[str, Any], caller: Caller) -> bool:
    keys = {"aws:sourcearn": caller.source_arn, "aws:sourceaccount": caller.source_account}
    for operator, tests in condition.items():
        compare = OPERATORS.get(operator)
        if compare is None:
            raise PolicyConditionError(f"condition operator {operator} is not evaluated locally")
        for key, wanted in tests.items():
            value = keys.get(key.lower())
            if value is None:
                raise PolicyConditionError(f"condition key {key} is not evaluated locally")
            if not any(compare(str(w), value) for w in as_list(wanted)):
                return False
    return True


def principal_matches(principal: Any) -> bool:
    if principal == "*":
        return True
    services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
    return PRINCIPAL in services


def statement_allows(statement: Mapping[str, Any], caller: Caller) -> bool:
    if statement.get("Effect") != "Allow" or not principal_matches(statement.get("Principal")):
        return False
    actions = [str(a).lower() for a in as_list(statement.get("Action", []))]
    if not any(string_like(a, ACTION.lower()) for a in actions):
        return False
    return condition_holds(statement.get("Condition") or {}, caller)


@dataclass(frozen=True)
class InvokePermissions:
    """Every function's resource-policy statements, by function name."""

    statements: Mapping[str, tuple[Mapping[str, Any], ...]]

    def refusal(self, function: str, caller: Caller) -> str | None:
        """None if API Gateway may invoke the function from ``caller``; else why not."""
        statements = self.statements.get(function, ())
        try:
            if any(statement_allows(s, caller) for s in statements):
                return None
        except PolicyConditionError as exc:
            return f"the resource-based policy of function {function} cannot be evaluated: {exc}"
        return (
            f"Invalid permissions on Lambda function {function}: no statement of its "
            f"resource-based policy allows {PRINCIPAL} to {ACTION} from {caller.source_arn}"
            + ("" if statements else " (the function has no resource-based policy)")
        )


def load(lambda_client: Any, functions: Iterable[str]) -> InvokePermissions:
    return InvokePermissions({name: policy_of(lambda_client, name) for name in set(functions)})


def policy_of(lambda_client: Any, function: str) -> tuple[Mapping[str, Any], ...]:
    try:
        raw = lambda_client.get_policy(FunctionName=function)["Policy"]
    except lambda_client.exceptions.ResourceNotFoundException:
        return ()  # no Lambda::Permission at all: nothing allows API Gateway
    return tuple(as_list(json.loads(raw).get("Statement", [])))


def method_arn(region: str, account: str, api: str, stage: str, verb: str, path: str) -> str:
    """The ARN API Gateway invokes an integration from: the method's resource path."""
    verb = "*" if verb == "ANY" else verb  # API Gateway's ARN for an ANY method
    return f"arn:aws:execute-api:{region}:{account}:{api}/{stage}/{verb}/{path.lstrip('/')}"


def authorizer_arn(region: str, account: str, api: str, authorizer_id: str) -> str:
    return f"arn:aws:execute-api:{region}:{account}:{api}/authorizers/{authorizer_id}"
