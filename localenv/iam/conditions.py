"""Condition blocks: the common operators, ``...IfExists`` and the set qualifiers.

Semantics from https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html
and .../reference_policies_condition-single-vs-multi-valued-context-keys.html:
operators and keys are ANDed, a key's values ORed; a key the request does not
supply fails a positive operator, passes a negated one, and passes any
``...IfExists``; ``ForAllValues`` over no values is true, ``ForAnyValue`` false.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from localenv.iam.matching import glob, resource_matches

Compare = Callable[[str, str], bool]


def number_compare(op: Callable[[float, float], bool]) -> Compare:
    def compare(actual: str, wanted: str) -> bool:
        try:
            return op(float(actual), float(wanted))
        except ValueError:
            return False

    return compare


def in_network(actual: str, wanted: str) -> bool:
    try:
        return ipaddress.ip_address(actual) in ipaddress.ip_network(wanted, strict=False)
    except ValueError:
        return False


POSITIVE: dict[str, Compare] = {
    "StringEquals": lambda a, w: a == w,
    "StringEqualsIgnoreCase": lambda a, w: a.lower() == w.lower(),
    "StringLike": lambda a, w: glob(w, a),
    "NumericEquals": number_compare(lambda a, w: a == w),
    "NumericLessThan": number_compare(lambda a, w: a < w),
    "NumericLessThanEquals": number_compare(lambda a, w: a <= w),
    "NumericGreaterThan": number_compare(lambda a, w: a > w),
    "NumericGreaterThanEquals": number_compare(lambda a, w: a >= w),
    "Bool": lambda a, w: a.lower() == w.lower(),
    "ArnEquals": lambda a, w: resource_matches(w, a),
    "ArnLike": lambda a, w: resource_matches(w, a),
    "IpAddress": in_network,
}
NEGATED: dict[str, str] = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NotIpAddress": "IpAddress",
}
# The keys every local request supplies (see localenv.iam.evaluator.request_context).
SUPPLIED_KEYS = frozenset(
    {
        "aws:principalarn",
        "aws:principalaccount",
        "aws:principaltype",
        "aws:userid",
        "aws:requestedregion",
        "aws:securetransport",
        "aws:currenttime",
        "aws:epochtime",
        "aws:viaawsservice",
    }
)
QUALIFIERS = ("ForAnyValue:", "ForAllValues:")


@dataclass(frozen=True)
class Condition:
    operator: str  # the base operator, e.g. StringLike
    negated: bool
    if_exists: bool
    qualifier: str  # "", "ForAnyValue:" or "ForAllValues:"
    key: str  # lower case: condition keys are case-insensitive
    values: tuple[str, ...]


def split_operator(name: str) -> tuple[str, str, bool]:
    qualifier = next((q for q in QUALIFIERS if name.startswith(q)), "")
    base = name[len(qualifier) :]
    if_exists = base.endswith("IfExists")
    return qualifier, base.removesuffix("IfExists"), if_exists


def parse_conditions(
    block: Mapping[str, Any],
    where: str,
    error: type[Exception],
    supplied: frozenset[str] = SUPPLIED_KEYS,
) -> tuple[Condition, ...]:
    parsed = []
    for name, keys in block.items():
        qualifier, base, if_exists = split_operator(name)
        if base != "Null" and base not in POSITIVE and base not in NEGATED:
            raise error(f"{where}: condition operator {name} is not evaluated locally")
        for key, values in keys.items():
            if key.lower() not in supplied:
                raise error(f"{where}: condition key {key} is not supplied by local requests")
            listed = values if isinstance(values, list) else [values]
            if any("${" in str(v) for v in listed):
                raise error(f"{where}: policy variable in condition {key} is not evaluated")
            parsed.append(
                Condition(
                    NEGATED.get(base, base),
                    base in NEGATED,
                    if_exists,
                    qualifier,
                    key.lower(),
                    tuple(str(v).lower() if base in ("Bool", "Null") else str(v) for v in listed),
                )
            )
    return tuple(parsed)


def any_match(compare: Compare, actual: str, wanted: Sequence[str]) -> bool:
    return any(compare(actual, w) for w in wanted)


def holds(condition: Condition, context: Mapping[str, Sequence[str]]) -> bool:
    present = condition.key in context
    if condition.operator == "Null":
        return (not present) == (condition.values[0] == "true")
    if not present:
        return condition.if_exists or condition.negated or condition.qualifier == "ForAllValues:"
    compare = POSITIVE[condition.operator]
    per_value = [
        any_match(compare, actual, condition.values) != condition.negated
        for actual in context[condition.key]
    ]
    if condition.qualifier == "ForAllValues:":
        return all(per_value)
    return any(per_value)


def all_hold(conditions: Sequence[Condition], context: Mapping[str, Sequence[str]]) -> bool:
    return all(holds(c, context) for c in conditions)
