"""CloudFormation's intrinsic functions and conditions, resolved as CloudFormation does.

Supported: ``Ref`` (parameters, pseudo parameters, resources), ``Fn::GetAtt``,
``Fn::Sub`` (both forms, ``${Res.Attr}`` and the literal ``${!x}``),
``Fn::Join``, ``Fn::Select``, ``Fn::Split``, ``Fn::If`` with ``AWS::NoValue``,
``Fn::FindInMap``, ``Fn::Base64``, and the condition functions ``Fn::Equals``,
``Fn::Not``, ``Fn::And``, ``Fn::Or`` and ``Condition``. Anything else is an
:class:`UnsupportedError` naming the function and its line, never a silent pass.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localenv.template_loader import TemplateError, line_of

SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
NO_VALUE = "AWS::NoValue"


class UnsupportedError(TemplateError):
    """A function, resource type or property the local stack cannot honour."""


class _NoValue:
    def __repr__(self) -> str:
        return NO_VALUE


REMOVED = _NoValue()


@dataclass
class Scope:
    """What names resolve to: parameters, pseudo parameters, conditions, resources."""

    parameters: Mapping[str, Any]
    pseudo: Mapping[str, Any]
    mappings: Mapping[str, Any] = field(default_factory=dict)
    conditions: dict[str, bool] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    resource_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Where:
    """What is being resolved, for error messages."""

    what: str
    line: int

    def at(self, value: Any) -> Where:
        return Where(self.what, line_of(value, self.line))

    def fail(self, message: str) -> TemplateError:
        return TemplateError(f"{self.what} (line {self.line}): {message}")


def resolve(value: Any, scope: Scope, where: Where) -> Any:
    """The value with every intrinsic resolved; ``REMOVED`` for ``AWS::NoValue``."""
    if isinstance(value, dict):
        where = where.at(value)
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return call(key, argument, scope, where)
        resolved = {k: resolve(v, scope, where) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not REMOVED}
    if isinstance(value, list):
        items = [resolve(v, scope, where) for v in value]
        return [v for v in items if v is not REMOVED]
    return value


def call(name: str, argument: Any, scope: Scope, where: Where) -> Any:
    function = FUNCTIONS.get(name)
    if function is None:
        raise UnsupportedError(f"{where.what} (line {where.line}): {name} is not supported locally")
    return function(argument, scope, where)


def ref(argument: Any, scope: Scope, where: Where) -> Any:
    if argument == NO_VALUE:
        return REMOVED
    if argument in scope.parameters:
        return scope.parameters[argument]
    if argument in scope.pseudo:
        return scope.pseudo[argument]
    if argument in scope.physical_ids:
        return scope.physical_ids[argument]
    if argument in scope.resource_names:
        raise where.fail(f"Ref to {argument}, which is not created (its condition is false)")
    raise where.fail(f"Ref to unknown name {argument!r}")


def get_att(argument: Any, scope: Scope, where: Where) -> Any:
    if isinstance(argument, str):
        argument = argument.split(".", 1)
    logical, attribute = resolve(argument, scope, where)
    if logical not in scope.attributes:
        raise where.fail(f"Fn::GetAtt of {logical!r}, which is not created")
    attributes = scope.attributes[logical]
    if attribute not in attributes:
        raise UnsupportedError(
            f"{where.what} (line {where.line}): Fn::GetAtt {logical}.{attribute} is not supported"
        )
    return attributes[attribute]


def sub(argument: Any, scope: Scope, where: Where) -> str:
    if isinstance(argument, list):
        text, variables = argument[0], resolve(argument[1], scope, where)
    else:
        text, variables = argument, {}

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(variables[name])
        if "." in name:
            return str(get_att(name.split(".", 1), scope, where))
        return str(ref(name, scope, where))

    return SUB_VARIABLE.sub(replace, text)


def join(argument: Any, scope: Scope, where: Where) -> str:
    delimiter, items = argument
    return str(delimiter).join(str(v) for v in resolve(items, scope, where))


def select(argument: Any, scope: Scope, where: Where) -> Any:
    index, items = resolve(argument, scope, where)
    try:
        return items[int(index)]
    except (IndexError, ValueError, TypeError) as exc:
        raise where.fail(f"Fn::Select index {index!r} out of range") from exc


def split(argument: Any, scope: Scope, where: Where) -> list[str]:
    delimiter, text = resolve(argument, scope, where)
    return str(text).split(str(delimiter))


def if_(argument: Any, scope: Scope, where: Where) -> Any:
    condition, when_true, when_false = argument
    if condition not in scope.conditions:
        raise where.fail(f"Fn::If names unknown condition {condition!r}")
    return resolve(when_true if scope.conditions[condition] else when_false, scope, where)


def find_in_map(argument: Any, scope: Scope, where: Where) -> Any:
    name, top, second = resolve(argument, scope, where)
    try:
        return scope.mappings[name][top][second]
    except (KeyError, TypeError) as exc:
        raise where.fail(f"Fn::FindInMap {name}/{top}/{second} not found") from exc


def base64_(argument: Any, scope: Scope, where: Where) -> str:
    return base64.b64encode(str(resolve(argument, scope, where)).encode()).decode()


def equals(argument: Any, scope: Scope, where: Where) -> bool:
    left, right = resolve(argument, scope, where)
    return str(left) == str(right)


def not_(argument: Any, scope: Scope, where: Where) -> bool:
    return not condition_value(argument[0], scope, where)


def and_(argument: Any, scope: Scope, where: Where) -> bool:
    return all(condition_value(v, scope, where) for v in argument)


def or_(argument: Any, scope: Scope, where: Where) -> bool:
    return any(condition_value(v, scope, where) for v in argument)


def condition_value(value: Any, scope: Scope, where: Where) -> bool:
    if isinstance(value, dict) and set(value) == {"Condition"}:
        name = value["Condition"]
        if name not in scope.conditions:
            raise where.fail(f"unknown condition {name!r}")
        return scope.conditions[name]
    result = resolve(value, scope, where)
    if not isinstance(result, bool):
        raise where.fail(f"condition value {result!r} is not a boolean")
    return result


def evaluate_conditions(conditions: Mapping[str, Any], scope: Scope) -> None:
    """Evaluate every condition into ``scope.conditions``, following references between them."""
    pending = dict(conditions)
    while pending:
        progressed = False
        for name, expression in list(pending.items()):
            if not all(c in scope.conditions for c in condition_references(expression)):
                continue
            where = Where(f"Conditions.{name}", line_of(expression))
            scope.conditions[name] = condition_value(expression, scope, where)
            del pending[name]
            progressed = True
        if not progressed:
            raise TemplateError(f"conditions refer to each other in a cycle: {sorted(pending)}")


def condition_references(value: Any) -> set[str]:
    if isinstance(value, dict):
        if set(value) == {"Condition"} and isinstance(value["Condition"], str):
            return {value["Condition"]}
        return set().union(*(condition_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(condition_references(v) for v in value))
    return set()


def references(value: Any) -> set[str]:
    """Names a value refers to through Ref, Fn::GetAtt and Fn::Sub (resources among them)."""
    if isinstance(value, dict):
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" and isinstance(argument, str):
                return {argument}
            if key == "Fn::GetAtt":
                first = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
                return {first} if isinstance(first, str) else references(argument)
            if key == "Fn::Sub":
                return sub_references(argument)
        return set().union(*(references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(references(v) for v in value))
    return set()


def sub_references(argument: Any) -> set[str]:
    text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
    names = {
        m.group(1).split(".", 1)[0]
        for m in SUB_VARIABLE.finditer(str(text))
        if not m.group(1).startswith("!") and m.group(1) not in variables
    }
    return names | references(variables)


FUNCTIONS: dict[str, Callable[[Any, Scope, Where], Any]] = {
    "Ref": ref,
    "Fn::GetAtt": get_att,
    "Fn::Sub": sub,
    "Fn::Join": join,
    "Fn::Select": select,
    "Fn::Split": split,
    "Fn::If": if_,
    "Fn::FindInMap": find_in_map,
    "Fn::Base64": base64_,
    "Fn::Equals": equals,
    "Fn::Not": not_,
    "Fn::And": and_,
    "Fn::Or": or_,
}
