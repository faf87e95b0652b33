"""The smallest IAM policy evaluation the deploy checks need: Allow/Deny with wildcards.

IAM's order: an explicit Deny wins, then an Allow, else the request is denied.
``Action``/``NotAction`` and ``Resource``/``NotResource`` match with ``*`` and
``?``; actions case-insensitively.
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

Statements with a ``Condition`` are not evaluated here: they never allow (a
check then fails or warns and says so) and they never deny. Kept apart, in one
module, to be replaced by the full evaluator.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from localenv.gateway.permissions import as_list, pattern

Verdict = Literal["allowed", "denied", "not allowed"]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str


def matches_any(globs: Iterable[Any], value: str, fold: bool = False) -> bool:
    if fold:
        return any(pattern(str(g).lower()).match(value.lower()) for g in globs)
    return any(pattern(str(g)).match(value) for g in globs)


def applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Condition" in statement:
        return False
    if "NotAction" in statement:
        action_ok = not matches_any(as_list(statement["NotAction"]), request.action, fold=True)
    else:
        action_ok = matches_any(as_list(statement.get("Action", [])), request.action, fold=True)
    if "NotResource" in statement:
        return action_ok and not matches_any(as_list(statement["NotResource"]), request.resource)
    return action_ok and matches_any(as_list(statement.get("Resource", [])), request.resource)


def evaluate(documents: Iterable[Mapping[str, Any]], request: Request) -> Verdict:
    statements = [s for d in documents for s in as_list(d.get("Statement", []))]
    effects = {s.get("Effect") for s in statements if applies(s, request)}
    if "Deny" in effects:
        return "denied"
    return "allowed" if "Allow" in effects else "not allowed"


def trusts(document: Mapping[str, Any], service: str) -> bool:
    """Whether a trust policy lets ``service`` call sts:AssumeRole (no Deny, no Condition)."""
    for statement in as_list(document.get("Statement", [])):
        principal = statement.get("Principal")
        services = as_list(principal.get("Service", [])) if isinstance(principal, dict) else []
        assume = matches_any(as_list(statement.get("Action", [])), "sts:AssumeRole", fold=True)
        if statement.get("Effect") == "Allow" and service in services and assume:
            return True
    return False
