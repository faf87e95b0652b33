"""The CloudFormation template as data, for tests that read names from it."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "cloudformation" / "template.yaml"

# The actions of AWS's managed policy service-role/AmazonAPIGatewayPushToCloudWatchLogs
# (on "*"): https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
API_GATEWAY_LOGS_ACTIONS = frozenset(
    {
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:DescribeLogGroups",
        "logs:DescribeLogStreams",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:FilterLogEvents",
    }
)


class CfnLoader(yaml.SafeLoader):
    """YAML loader that turns short-form intrinsics (!Ref, !Sub ...) into their long form."""


def _intrinsic(loader: CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


@functools.cache
def template() -> dict[str, Any]:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def resources(kind: str | None = None) -> dict[str, dict[str, Any]]:
    found = template()["Resources"]
    return {k: v for k, v in found.items() if kind is None or v["Type"] == kind}


def table_definition() -> dict[str, Any]:
    """CreateTable arguments for the template's table (keys, indexes, billing)."""
    (props,) = [r["Properties"] for r in resources("AWS::DynamoDB::Table").values()]
    return {
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "GlobalSecondaryIndexes": props["GlobalSecondaryIndexes"],
        "BillingMode": props["BillingMode"],
    }
