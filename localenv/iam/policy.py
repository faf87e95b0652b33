"""Identity-based policy documents, parsed and checked for what the evaluator supports.

Whatever a policy uses that the local evaluator does not evaluate (policy
variables, an unknown condition operator, a condition key the local request
does not supply) is refused when the policy is read, never silently allowed.
Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from localenv.errors import LocalenvError
from localenv.iam.conditions import SUPPLIED_KEYS, Condition, parse_conditions


class PolicyError(LocalenvError):
    """A policy uses something the local evaluator cannot evaluate faithfully."""


class Effect(Enum):
    ALLOW = "Allow"
    DENY = "Deny"


STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)


@dataclass(frozen=True)
class Statement:
    effect: Effect
    actions: tuple[str, ...]
    actions_negated: bool
    resources: tuple[str, ...]
    resources_negated: bool
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Policy:
    name: str
    statements: tuple[Statement, ...]


def strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def one_of(raw: dict[str, Any], key: str, where: str) -> tuple[tuple[str, ...], bool]:
    """``Key`` or ``NotKey``: exactly one of them, as IAM requires."""
    if (key in raw) == (f"Not{key}" in raw):
        raise PolicyError(f"{where}: a statement needs exactly one of {key} and Not{key}")
    negated = f"Not{key}" in raw
    values = strings(raw[f"Not{key}" if negated else key])
    for value in values:
        if "${" in value:
            # Policy variables need the request's principal tags, user name etc.
            raise PolicyError(f"{where}: policy variable in {value!r} is not evaluated locally")
    return values, negated


def parse_statement(
    raw: dict[str, Any], where: str, supplied: frozenset[str] = SUPPLIED_KEYS
) -> Statement:
    """One statement; ``supplied``: the condition keys the requests it will judge carry."""
    unknown = set(raw) - STATEMENT_KEYS
    if unknown:
        raise PolicyError(
            f"{where}: {', '.join(sorted(unknown))} is not allowed in an identity-based policy"
        )
    if raw.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: Effect must be Allow or Deny, not {raw.get('Effect')!r}")
    actions, actions_negated = one_of(raw, "Action", where)
    resources, resources_negated = one_of(raw, "Resource", where)
    return Statement(
        Effect(raw["Effect"]),
        actions,
        actions_negated,
        resources,
        resources_negated,
        parse_conditions(raw.get("Condition", {}), where, PolicyError, supplied),
    )


def raw_statements(document: str | Mapping[str, Any]) -> list[dict[str, Any]]:
    """A policy document's statements (a JSON string or parsed; one statement or a list)."""
    raw = json.loads(document) if isinstance(document, str) else document
    listed = raw.get("Statement", [])
    return [listed] if isinstance(listed, dict) else list(listed)


def parse(name: str, document: str | dict[str, Any]) -> Policy:
    statements = raw_statements(document)
    return Policy(
        name,
        tuple(
            parse_statement(s, f"policy {name} statement {s.get('Sid', i)}")
            for i, s in enumerate(statements)
        ),
    )
