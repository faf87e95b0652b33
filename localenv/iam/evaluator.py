"""IAM's policy evaluation logic for one principal's identity-based policies.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html:
an explicit Deny in any applicable policy wins; otherwise the identity-based
policies must Allow, and so must the permissions boundary when there is one;
anything not allowed is implicitly denied. Every resource of a request must be
allowed (a BatchWriteItem over two tables needs both).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from localenv.iam.conditions import all_hold
from localenv.iam.matching import action_matches, resource_matches
from localenv.iam.policy import Effect, Policy, Statement


class Verdict(Enum):
    ALLOW = "allow"
    EXPLICIT_DENY = "explicit deny"
    IMPLICIT_DENY = "implicit deny"


class PolicyKind(Enum):
    IDENTITY = "identity-based policy"
    BOUNDARY = "permissions boundary"


@dataclass(frozen=True)
class IamRequest:
    action: str  # service:Operation
    resources: tuple[str, ...]
    context: Mapping[str, Sequence[str]]  # lower-case condition keys


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    resource: str  # the resource decided on (the first denied one, if any)
    kind: PolicyKind = PolicyKind.IDENTITY

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW


def applies(statement: Statement, action: str, resource: str, request: IamRequest) -> bool:
    action_hit = any(action_matches(p, action) for p in statement.actions)
    resource_hit = any(resource_matches(p, resource) for p in statement.resources)
    return (
        action_hit != statement.actions_negated
        and resource_hit != statement.resources_negated
        and all_hold(statement.conditions, request.context)
    )


def effects(policies: Sequence[Policy], request: IamRequest, resource: str) -> set[Effect]:
    return {
        s.effect
        for p in policies
        for s in p.statements
        if applies(s, request.action, resource, request)
    }


def decide_one(
    request: IamRequest,
    resource: str,
    identity: Sequence[Policy],
    boundary: Sequence[Policy] | None,
) -> Decision:
    granted = effects(identity, request, resource)
    bounded = effects(boundary, request, resource) if boundary is not None else {Effect.ALLOW}
    if Effect.DENY in granted:
        return Decision(Verdict.EXPLICIT_DENY, resource, PolicyKind.IDENTITY)
    if Effect.DENY in bounded:
        return Decision(Verdict.EXPLICIT_DENY, resource, PolicyKind.BOUNDARY)
    if Effect.ALLOW not in granted:
        return Decision(Verdict.IMPLICIT_DENY, resource, PolicyKind.IDENTITY)
    if Effect.ALLOW not in bounded:
        return Decision(Verdict.IMPLICIT_DENY, resource, PolicyKind.BOUNDARY)
    return Decision(Verdict.ALLOW, resource)


def resource_policy_verdict(policy: Policy, request: IamRequest, resource: str) -> Verdict:
    """One resource-based policy on its own: an explicit Deny wins, else an Allow is
    needed (the principal has no identity policy to add one)."""
    found = effects([policy], request, resource)
    if Effect.DENY in found:
        return Verdict.EXPLICIT_DENY
    return Verdict.ALLOW if Effect.ALLOW in found else Verdict.IMPLICIT_DENY


def evaluate(
    request: IamRequest, identity: Sequence[Policy], boundary: Sequence[Policy] | None = None
) -> Decision:
    decisions = [decide_one(request, r, identity, boundary) for r in request.resources or ("*",)]
    return next((d for d in decisions if not d.allowed), decisions[0])


ARTICLE = {PolicyKind.IDENTITY: "an", PolicyKind.BOUNDARY: "a"}


def denial_message(principal: str, action: str, decision: Decision) -> str:
    """AWS's message form for a denied request (the reason names which policy type)."""
    reason = (
        f"with an explicit deny in {ARTICLE[decision.kind]} {decision.kind.value}"
        if decision.verdict is Verdict.EXPLICIT_DENY
        else f"because no {decision.kind.value} allows the {action} action"
    )
    return (
        f"User: {principal} is not authorized to perform: {action} "
        f"on resource: {decision.resource} {reason}"
    )
