"""The deploy checks' questions to IAM, answered by the harness's one IAM evaluator
(``localenv/iam``): may this role do this action on this resource, does this trust
policy let this service assume the role.

A check's request carries no condition keys: a statement whose condition needs one
is evaluated as IAM evaluates a request without it (a missing key does not match,
``...IfExists`` does). Policy features the evaluator does not handle (policy
variables, unknown operators) are refused loudly, as at the edge.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from localenv.gateway.permissions import as_list
from localenv.iam import evaluator, policy
from localenv.iam.matching import action_matches

Verdict = Literal["allowed", "denied", "not allowed"]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Verdict:
    policies = [policy.parse(f"#{n}", dict(d)) for n, d in enumerate(documents, 1)]
    decision = evaluator.evaluate(
        evaluator.IamRequest(request.action, (request.resource,), {}), policies
    )
    if decision.allowed:
        return "allowed"
    return "denied" if decision.verdict is evaluator.Verdict.EXPLICIT_DENY else "not allowed"


def trusts(document: Mapping[str, Any], service: str) -> bool:
    """Whether a trust policy lets ``service`` call sts:AssumeRole (no Deny, no Condition)."""
    for statement in as_list(document.get("Statement", [])):
        principal = statement.get("Principal")
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        actions = as_list(statement.get("Action", []))
        assume = any(action_matches(str(a), "sts:AssumeRole") for a in actions)
        if statement.get("Effect") == "Allow" and service in services and assume:
            return True
    return False
