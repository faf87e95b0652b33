"""The stack as it will be, before the first resource exists: what the deploy checks read.

Every active resource's properties are resolved in a copy of the deploy scope
where resources not created yet get the physical names and ARNs they will have
(their name property, else the generated name the provisioner uses) and any
other attribute a ``{Logical.Attribute}`` placeholder. A resource whose
properties cannot be resolved this early is kept with ``props`` None.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localenv import intrinsics
from localenv.intrinsics import Scope, UnsupportedError, Where
from localenv.resources.base import DeployContext
from localenv.template_loader import Node, TemplateError, line_of

NAME_PROPERTIES = {
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::IAM::Role": "RoleName",
    "AWS::Lambda::Function": "FunctionName",
    "AWS::DynamoDB::Table": "TableName",
}


class Attributes(dict[str, Any]):
    """Known attributes, and a placeholder for any other (it exists only after creation)."""

    def __init__(self, logical_id: str, known: Mapping[str, Any]):
        super().__init__(known)
        self.logical_id = logical_id

    def __contains__(self, key: object) -> bool:
        return True

    def __missing__(self, key: str) -> str:
        return f"{{{self.logical_id}.{key}}}"


@dataclass(frozen=True)
class Planned:
    logical_id: str
    type: str
    node: Node
    props: dict[str, Any] | None
    physical_id: str
    arn: str
    new: bool  # created by this deploy (not kept from the previous one)

    @property
    def where(self) -> str:
        return f"{self.logical_id} ({self.type}, line {line_of(self.node)})"


def arn_of(ctx: DeployContext, kind: str, name: str) -> str:
    arns = {
        "AWS::Logs::LogGroup": ctx.arn("logs", f"log-group:{name}:*"),
        "AWS::IAM::Role": ctx.arn("iam", f"role/{name}", region=False),
        "AWS::Lambda::Function": ctx.arn("lambda", f"function:{name}"),
        "AWS::DynamoDB::Table": ctx.arn("dynamodb", f"table/{name}"),
    }
    return arns.get(kind, "")


def resolve(node: Node, scope: Scope, logical_id: str) -> dict[str, Any] | None:
    where = Where(f"{logical_id} ({node['Type']})", line_of(node))
    try:
        return dict(intrinsics.resolve(node.get("Properties", {}), scope, where))
    except (TemplateError, UnsupportedError):
        return None


def preview(
    ctx: DeployContext, scope: Scope, order: list[str], active: Mapping[str, Node]
) -> dict[str, Planned]:
    scope = dataclasses.replace(
        scope, physical_ids=dict(scope.physical_ids), attributes=dict(scope.attributes)
    )
    planned: dict[str, Planned] = {}
    for name in order:
        node, kind = active[name], active[name]["Type"]
        new = name not in scope.physical_ids
        props = resolve(node, scope, name)
        if new:
            prop = NAME_PROPERTIES.get(kind)
            given = (props or {}).get(prop or "")
            physical = str(given or (ctx.generated_name(name, 64) if prop else f"{{{name}}}"))
            arn = arn_of(ctx, kind, physical)
            scope.physical_ids[name] = physical
            scope.attributes[name] = Attributes(name, {"Arn": arn} if arn else {})
        physical = scope.physical_ids[name]
        arn = str(scope.attributes[name].get("Arn", "")) if name in scope.attributes else ""
        planned[name] = Planned(name, kind, node, props, physical, arn, new)
    return planned
