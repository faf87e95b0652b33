"""What each function actually did, and the report of it against what its policies grant."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from localenv.iam.identities import FunctionIdentity
from localenv.iam.matching import action_matches, resource_matches
from localenv.iam.policy import Effect


@dataclass(frozen=True)
class Use:
    action: str
    resource: str
    allowed: bool


class UsageLog:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.uses: dict[str, set[Use]] = {}

    def record(self, function: str, action: str, resources: tuple[str, ...], allowed: bool) -> None:
        with self.lock:
            seen = self.uses.setdefault(function, set())
            seen.update(Use(action, r, allowed) for r in resources)

    def of(self, function: str) -> set[Use]:
        with self.lock:
            return set(self.uses.get(function, set()))


def grants(identity: FunctionIdentity) -> list[tuple[str, str, str]]:
    """(policy, action pattern, resource pattern) of every Allow statement."""
    return [
        (policy.name, action, resource)
        for policy in identity.policies
        for s in policy.statements
        if s.effect is Effect.ALLOW and not s.actions_negated and not s.resources_negated
        for action in s.actions
        for resource in s.resources
    ]


# Grants the Lambda service, not the function's code, uses on AWS and the local
# stack does not emulate: active tracing sends segments to X-Ray with the role.
# https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
SERVICE_NOTES = {"xray": "used by Lambda's active tracing on AWS; X-Ray is not emulated locally"}


def unused_entry(policy: str, action: str, resource: str) -> dict[str, str]:
    entry = {"policy": policy, "action": action, "resource": resource}
    note = SERVICE_NOTES.get(action.split(":", 1)[0].lower())
    return {**entry, "note": note} if note else entry


def function_report(identity: FunctionIdentity, uses: set[Use]) -> dict[str, Any]:
    used = sorted(uses, key=lambda u: (u.action, u.resource))
    unused = [
        unused_entry(p, a, r)
        for p, a, r in grants(identity)
        if not any(action_matches(a, u.action) and resource_matches(r, u.resource) for u in uses)
    ]
    return {
        "function": identity.function,
        "principal": identity.principal,
        "used": [{"action": u.action, "resource": u.resource, "allowed": u.allowed} for u in used],
        "missing": [{"action": u.action, "resource": u.resource} for u in used if not u.allowed],
        "unused": unused,
    }


def report(identities: list[FunctionIdentity], usage: UsageLog) -> list[dict[str, Any]]:
    unique = {i.function: i for i in identities}
    return [function_report(unique[f], usage.of(f)) for f in sorted(unique)]
