"""Deploy cloudformation/template.yaml into an emulator through its public service APIs.

Plan, then act, as CloudFormation does for an update:

1. resolve Parameters (overrides, then defaults), pseudo parameters and Conditions;
2. check every resource type, attribute and property is one the local stack
   honours (an error names it and its line otherwise);
3. order resources by explicit (DependsOn) and implicit (Ref, GetAtt, Sub) dependencies;
4. compare with what the previous deploy left (the state file): unchanged
   resources are kept (a table keeps its data), changed ones and everything
   depending on them are replaced, removed ones are deleted;
5. run the deploy-time checks AWS makes (resources/checks.py) on the stack as it
   will be, before anything is created or deleted;
6. compute the Outputs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localenv import intrinsics
from localenv.intrinsics import Scope, UnsupportedError, Where
from localenv.resources import PROVISIONERS, checks, preview
from localenv.resources.base import DeployContext, Deployed, DeployError
from localenv.template_loader import Node, TemplateError, line_of

TEMPLATE_SECTIONS = {
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Conditions",
    "Mappings",
    "Resources",
    "Outputs",
}
RESOURCE_KEYS = {
    "Type",
    "Properties",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "Metadata",
}


@dataclass
class ResourceState:
    type: str
    physical_id: str
    digest: str
    order: int
    attributes: dict[str, Any] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""  # what the properties point at (e.g. the code's SHA-256)


@dataclass
class StackState:
    stack_name: str
    emulator_id: str
    resources: dict[str, ResourceState] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, stack_name: str, emulator_id: str) -> StackState:
        """The saved state if it belongs to this stack in this emulator, else an empty one."""
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(stack_name, emulator_id)
        if raw.get("stack_name") != stack_name or raw.get("emulator_id") != emulator_id:
            return cls(stack_name, emulator_id)
        resources = {k: ResourceState(**v) for k, v in raw.get("resources", {}).items()}
        return cls(stack_name, emulator_id, resources, raw.get("outputs", {}))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))


@dataclass
class DeployResult:
    outputs: dict[str, Any]
    created: list[str]
    replaced: list[str]
    kept: list[str]
    deleted: list[str]
    skipped: dict[str, str]
    updated: list[str] = field(default_factory=list)


def resolve_parameters(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    unknown = set(overrides) - set(declared)
    if unknown:
        raise TemplateError(f"parameter overrides for undeclared parameters: {sorted(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            value: Any = overrides[name]
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(
                f"Parameters.{name} (line {line_of(spec)}): no value and no Default"
            )
        values[name] = check_parameter(name, spec, str(value))
    return values


def check_parameter(name: str, spec: Mapping[str, Any], value: str) -> Any:
    where = f"Parameters.{name} (line {line_of(spec)})"
    allowed = spec.get("AllowedValues")
    if allowed is not None and value not in [str(v) for v in allowed]:
        raise TemplateError(f"{where}: {value!r} is not one of {allowed}")
    pattern = spec.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(str(pattern), value):
        raise TemplateError(f"{where}: {value!r} does not match {pattern}")
    kind = spec.get("Type", "String")
    if kind == "Number":
        try:
            number = float(value)
        except ValueError as exc:
            raise TemplateError(f"{where}: {value!r} is not a number") from exc
        if ("MinValue" in spec and number < float(spec["MinValue"])) or (
            "MaxValue" in spec and number > float(spec["MaxValue"])
        ):
            raise TemplateError(f"{where}: {value} is outside MinValue..MaxValue")
    elif kind == "CommaDelimitedList":
        return value.split(",") if value else []
    elif kind != "String":
        raise UnsupportedError(f"{where}: parameter Type {kind} is not supported locally")
    return value


def dependencies(name: str, resource: Mapping[str, Any], names: set[str]) -> set[str]:
    depends = resource.get("DependsOn", [])
    explicit = {depends} if isinstance(depends, str) else set(depends)
    unknown = explicit - names
    if unknown:
        raise TemplateError(
            f"{name} (line {line_of(resource)}): DependsOn unknown {sorted(unknown)}"
        )
    return (explicit | intrinsics.references(resource.get("Properties", {}))) & names


def topological_order(graph: Mapping[str, set[str]]) -> list[str]:
    """Dependencies first; ties keep template order. A cycle is an error naming its members."""
    order: list[str] = []
    done: set[str] = set()
    remaining = list(graph)
    while remaining:
        ready = [n for n in remaining if graph[n] <= done]
        if not ready:
            raise TemplateError(f"circular dependency between resources: {sorted(remaining)}")
        for name in ready:
            order.append(name)
            done.add(name)
        remaining = [n for n in remaining if n not in done]
    return order


def check_resource(name: str, resource: Any) -> None:
    if not isinstance(resource, dict) or "Type" not in resource:
        raise TemplateError(f"Resources.{name} (line {line_of(resource)}): no Type")
    line = line_of(resource)
    extra = set(resource) - RESOURCE_KEYS
    if extra:
        raise UnsupportedError(f"{name} (line {line}): {sorted(extra)} not supported locally")
    provisioner = PROVISIONERS.get(resource["Type"])
    if provisioner is None:
        raise UnsupportedError(
            f"{name} (line {line}): resource type {resource['Type']} is not supported locally"
        )
    props = resource.get("Properties", {})
    accepted = provisioner.honored | set(provisioner.no_local_effect)
    for prop in props:
        if prop not in accepted:
            raise UnsupportedError(
                f"{name} (line {line_of(props, line)}): property {resource['Type']}.{prop} "
                "is not supported locally"
            )
    missing = provisioner.required - set(props)
    if missing:
        raise TemplateError(f"{name} (line {line}): missing required {sorted(missing)}")


def check_provisioners(planned: Mapping[str, preview.Planned]) -> list[str]:
    """Each provisioner's own refusals (what the local stack cannot honour), before the
    first resource is created. Returns the properties stored with no local effect."""
    stored_only = []
    for resource in planned.values():
        if resource.props is not None:
            provisioner = PROVISIONERS[resource.type]
            provisioner.check(resource.where, resource.props)
            stored_only += [
                f"{resource.logical_id}.{prop}"
                for prop in provisioner.no_local_effect
                if prop in resource.props
            ]
    return stored_only


def digest(kind: str, props: Any) -> str:
    return hashlib.sha256(
        json.dumps([kind, props], sort_keys=True, default=str).encode()
    ).hexdigest()


class Deployer:
    def __init__(
        self, ctx: DeployContext, template: Node, overrides: Mapping[str, str], state: StackState
    ):
        self.ctx = ctx
        self.template = template
        self.state = state
        unknown = set(template) - TEMPLATE_SECTIONS
        if unknown:
            raise UnsupportedError(f"template sections {sorted(unknown)} are not supported locally")
        self.resources: dict[str, Node] = template["Resources"]
        self.scope = Scope(
            parameters=resolve_parameters(template.get("Parameters", {}), overrides),
            pseudo=self.pseudo_parameters(),
            mappings=template.get("Mappings", {}),
            resource_names=frozenset(self.resources),
        )
        intrinsics.evaluate_conditions(template.get("Conditions", {}), self.scope)

    def pseudo_parameters(self) -> dict[str, Any]:
        ctx = self.ctx
        return {
            "AWS::Region": ctx.region,
            "AWS::AccountId": ctx.account_id,
            "AWS::StackName": ctx.stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NotificationARNs": [],
            "AWS::StackId": ctx.arn("cloudformation", f"stack/{ctx.stack_name}/local"),
        }

    def active(self) -> tuple[dict[str, Node], dict[str, str]]:
        active: dict[str, Node] = {}
        skipped: dict[str, str] = {}
        for name, resource in self.resources.items():
            check_resource(name, resource)
            condition = resource.get("Condition")
            if condition is not None and condition not in self.scope.conditions:
                raise TemplateError(
                    f"{name} (line {line_of(resource)}): unknown condition {condition}"
                )
            if condition is None or self.scope.conditions[condition]:
                active[name] = resource
            else:
                skipped[name] = f"condition {condition} is false"
        return active, skipped

    def deploy(self) -> DeployResult:
        active, skipped = self.active()
        names = set(active)
        # A Ref to an inactive resource fails only if it is evaluated (e.g. in a taken Fn::If).
        graph = {n: dependencies(n, r, set(self.resources)) & names for n, r in active.items()}
        order = topological_order(graph)
        replace, update = self.plan(order, active, graph)
        # AWS's own refusals, before the first resource is created or deleted.
        planned = preview.preview(self.ctx, self.scope, order, active)
        stored_only = check_provisioners(planned)
        if stored_only:
            self.ctx.progress(
                "NOTE: stored with no local effect (localenv/ARCHITECTURE.md, "
                f"'Accepted, but no local effect'): {', '.join(stored_only)}"
            )
        checks.run(self.ctx, planned, self.state.resources)
        removed = [n for n in self.state.resources if n not in active]
        deleted = self.delete_old(
            removed + [n for n in order if n in replace and n in self.state.resources]
        )
        created: list[str] = []
        replaced: list[str] = []
        kept: list[str] = []
        updated: list[str] = []
        for index, name in enumerate(order):
            if name in update:
                self.update(name, active[name])
                updated.append(name)
            elif name in self.state.resources:
                kept.append(name)
                self.load_into_scope(name, self.state.resources[name])
            else:
                self.create(name, active[name], index)
                (replaced if name in replace and name in deleted else created).append(name)
        outputs = self.outputs()
        self.state.outputs = outputs
        return DeployResult(
            outputs, created, replaced, kept, [n for n in deleted if n in removed], skipped, updated
        )

    def plan(
        self, order: list[str], active: Mapping[str, Node], graph: Mapping[str, set[str]]
    ) -> tuple[set[str], set[str]]:
        """Resources to (re)create — new, changed, or depending on one that is — and
        resources to update in place (same properties, new content: a function's code)."""
        replace: set[str] = set()
        update: set[str] = set()
        for name in order:
            previous = self.state.resources.get(name)
            kind = active[name]["Type"]
            if previous is None or previous.type != kind or graph[name] & replace:
                replace.add(name)
                continue
            props = self.resolve_properties(name, active[name])
            if digest(kind, props) != previous.digest:
                replace.add(name)
                continue
            self.load_into_scope(name, previous)
            if PROVISIONERS[kind].fingerprint(self.ctx, props) != previous.fingerprint:
                update.add(name)
        return replace, update

    def resolve_properties(self, name: str, resource: Node) -> Any:
        where = Where(f"{name} ({resource['Type']})", line_of(resource))
        return intrinsics.resolve(resource.get("Properties", {}), self.scope, where)

    def load_into_scope(self, name: str, saved: ResourceState) -> None:
        self.scope.physical_ids[name] = saved.physical_id
        self.scope.attributes[name] = saved.attributes

    def create(self, name: str, resource: Node, index: int) -> None:
        kind = resource["Type"]
        props = self.resolve_properties(name, resource)
        self.ctx.progress(f"creating {name} ({kind})")
        try:
            deployed: Deployed = PROVISIONERS[kind].create(self.ctx, name, props)
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(f"{name} ({kind}, line {line_of(resource)}): {exc}") from exc
        saved = ResourceState(
            kind,
            deployed.physical_id,
            digest(kind, props),
            index,
            deployed.attributes,
            deployed.local,
            PROVISIONERS[kind].fingerprint(self.ctx, props),
        )
        self.state.resources[name] = saved
        self.load_into_scope(name, saved)

    def update(self, name: str, resource: Node) -> None:
        kind = resource["Type"]
        props = self.resolve_properties(name, resource)
        saved = self.state.resources[name]
        self.ctx.progress(f"updating {name} ({kind})")
        deployed = Deployed(saved.physical_id, saved.attributes, saved.local)
        try:
            PROVISIONERS[kind].update(self.ctx, deployed, props)
        except (ClientError, BotoCoreError) as exc:
            raise DeployError(f"{name} ({kind}, line {line_of(resource)}): {exc}") from exc
        saved.fingerprint = PROVISIONERS[kind].fingerprint(self.ctx, props)

    def delete_old(self, names: list[str]) -> list[str]:
        """Delete saved resources, dependents first (reverse creation order)."""
        deleted = []
        for name in sorted(set(names), key=lambda n: -self.state.resources[n].order):
            saved = self.state.resources.pop(name)
            self.ctx.progress(f"deleting {name} ({saved.type})")
            delete_quietly(self.ctx, saved)
            deleted.append(name)
        return deleted

    def outputs(self) -> dict[str, Any]:
        values = {}
        for name, output in self.template.get("Outputs", {}).items():
            condition = output.get("Condition")
            if condition is not None and not self.scope.conditions.get(condition, False):
                continue
            where = Where(f"Outputs.{name}", line_of(output))
            values[name] = intrinsics.resolve(output["Value"], self.scope, where)
        return values


def delete_quietly(ctx: DeployContext, saved: ResourceState) -> None:
    """Delete; a resource already gone with its parent (a method with its API) is fine."""
    try:
        PROVISIONERS[saved.type].delete(
            ctx, Deployed(saved.physical_id, saved.attributes, saved.local)
        )
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if "NotFound" not in code and code not in {"ResourceNotFoundException", "NoSuchEntity"}:
            raise DeployError(f"deleting {saved.type} {saved.physical_id}: {exc}") from exc


def teardown(ctx: DeployContext, state: StackState) -> list[str]:
    """Delete every resource of the stack, dependents first."""
    names = sorted(state.resources, key=lambda n: -state.resources[n].order)
    for name in names:
        delete_quietly(ctx, state.resources.pop(name))
    return names
