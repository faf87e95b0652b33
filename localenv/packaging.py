"""Give each API Gateway Deployment a logical id that changes with the API's definition.

An ``AWS::ApiGateway::Deployment`` is a snapshot of the API taken when it is
created; CloudFormation creates a new one only when the resource is replaced,
and a Deployment whose properties never change is never replaced. So a change
to a method, an authorizer or a gateway response updates the API but not what
the stage serves:
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-deployment.html

SAM's answer, used here too: put a hash of the API's definition into the
Deployment's logical id (``ApiDeployment`` -> ``ApiDeployment1a2b3c4d5e``). A
changed API gives a new id, so CloudFormation creates a new deployment, points
the stage at it and deletes the old one; an unchanged API gives the same id
and keeps its deployment. ``localenv package`` writes the packaged template
with the new id; ``localenv up`` applies the same function before deploying.

The hash covers the definition resources (below) and the values of the
parameters they use, since a parameter (e.g. the CORS origin) changes what the
API answers without changing the template's text.

PyYAML and the standard library only: the ``cfn`` test env runs this without
installing the package.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from localenv import template_loader

DEPLOYMENT = "AWS::ApiGateway::Deployment"
# What a deployment snapshots: the API, its resources, methods, authorizers,
# gateway responses, models and validators (not the stage, account or keys).
DEFINITION_TYPES = frozenset(
    {
        "AWS::ApiGateway::RestApi",
        "AWS::ApiGateway::Resource",
        "AWS::ApiGateway::Method",
        "AWS::ApiGateway::Authorizer",
        "AWS::ApiGateway::GatewayResponse",
        "AWS::ApiGateway::Model",
        "AWS::ApiGateway::RequestValidator",
    }
)
HASH_LENGTH = 10
SUB_NAME = re.compile(r"\$\{([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


def definition_hash(template: Mapping[str, Any], parameters: Mapping[str, str]) -> str:
    """The hash of every API definition resource and the parameter values they use."""
    definition = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource.get("Type") in DEFINITION_TYPES
    }
    declared = template.get("Parameters", {})
    used = {name for name in names_used(definition) if name in declared}
    values = {name: str(parameters.get(name, declared[name].get("Default", ""))) for name in used}
    text = json.dumps([definition, values], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:HASH_LENGTH]


def names_used(value: Any) -> Iterator[str]:
    """Every name a Ref, Fn::GetAtt or Fn::Sub string in ``value`` points at."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            yield from names_used(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from names_used(inner)
    elif isinstance(value, str):
        yield from SUB_NAME.findall(value)


def hash_deployments(template: dict[str, Any], parameters: Mapping[str, str]) -> dict[str, str]:
    """Rename every Deployment to its id plus the definition hash, in place.

    Returns the renames (old -> new). Idempotent: an id that already ends with
    the hash is left alone.
    """
    digest = definition_hash(template, parameters)
    resources = template["Resources"]
    renames = {
        name: f"{name}{digest}"
        for name, resource in resources.items()
        if resource.get("Type") == DEPLOYMENT and not name.endswith(digest)
    }
    renamed_in_place = [(renames.get(name, name), resource) for name, resource in resources.items()]
    resources.clear()
    resources.update(renamed_in_place)  # same order: the packaged template reads the same
    for section in ("Resources", "Outputs"):
        if section in template:
            rename_references(template[section], renames)
    return renames


def rename_references(value: Any, renames: Mapping[str, str]) -> None:
    """Point every Ref, Fn::GetAtt, Fn::Sub and DependsOn at the renamed resources."""
    if isinstance(value, dict):
        for key, inner in list(value.items()):
            value[key] = renamed(key, inner, renames)
            rename_references(value[key], renames)
    elif isinstance(value, list):
        for inner in value:
            rename_references(inner, renames)


def renamed(key: str, value: Any, renames: Mapping[str, str]) -> Any:
    if key == "Ref":
        return renamed_name(value, renames)
    if key == "DependsOn":
        if isinstance(value, list):
            return [renamed_name(v, renames) for v in value]
        return renamed_name(value, renames)
    if key == "Fn::GetAtt" and isinstance(value, list) and value:
        return [renames.get(value[0], value[0]), *value[1:]]
    if key == "Fn::Sub":
        return renamed_sub(value, renames)
    return value


def renamed_name(value: Any, renames: Mapping[str, str]) -> Any:
    return renames.get(value, value) if isinstance(value, str) else value


def renamed_sub(value: Any, renames: Mapping[str, str]) -> Any:
    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        return match.group(0).replace(name, renames.get(name, name), 1)

    if isinstance(value, str):
        return SUB_NAME.sub(swap, value)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [SUB_NAME.sub(swap, value[0]), *value[1:]]
    return value


def plain(value: Any) -> Any:
    """The template as plain dicts and lists, for YAML output."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def package(source: Path, output: Path, parameters: Mapping[str, str]) -> dict[str, str]:
    """Write ``source`` to ``output`` with hashed Deployment ids; returns the renames."""
    template = template_loader.load(source)
    renames = hash_deployments(template, parameters)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(yaml.safe_dump(plain(template), sort_keys=False, width=1000))
    return renames
