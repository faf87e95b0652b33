"""Invariants of cloudformation/template.yaml, read as data."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.template_model import API_GATEWAY_LOGS_ACTIONS, ROOT, resources, template

XRAY_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
ACCOUNT_ROLE = "ApiGatewayLogsRole"
FUNCTIONS = resources("AWS::Lambda::Function")
ROLES = resources("AWS::IAM::Role")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        s
        for p in role["Properties"].get("Policies", [])
        for s in as_list(p["PolicyDocument"]["Statement"])
    ]


def actions(role: dict[str, Any]) -> set[str]:
    return {a for s in statements(role) for a in as_list(s["Action"])}


def role_of(function: dict[str, Any]) -> dict[str, Any]:
    return ROLES[function["Properties"]["Role"]["Fn::GetAtt"][0]]


def function(module: str) -> dict[str, Any]:
    (found,) = [
        f for f in FUNCTIONS.values() if f["Properties"]["Handler"] == f"handlers.{module}.handler"
    ]
    return found


def test_no_wildcard_in_iam_actions_or_resources() -> None:
    for name, role in ROLES.items():
        for statement in statements(role):
            for action in as_list(statement["Action"]):
                assert "*" not in action, (name, action)
            for resource in as_list(statement["Resource"]):
                if resource == "*":
                    # X-Ray's write actions have no resource type: "*" is the only form. The
                    # account-wide API Gateway logging role writes to any group of the region.
                    allowed = API_GATEWAY_LOGS_ACTIONS if name == ACCOUNT_ROLE else XRAY_ACTIONS
                    assert set(as_list(statement["Action"])) <= allowed, name
                    continue
                text = (
                    resource["Fn::Sub"]
                    if isinstance(resource, dict) and "Fn::Sub" in resource
                    else ""
                )
                # A log group's streams are named by Lambda at run time: ":log-stream:*" is the
                # narrowest ARN that lets a function write to its own group.
                assert "*" not in text.removesuffix(":log-stream:*"), (name, resource)


def test_no_managed_policies() -> None:
    for name, role in ROLES.items():
        assert "ManagedPolicyArns" not in role["Properties"], name


def test_each_function_logs_only_to_its_own_group_with_retention() -> None:
    groups = resources("AWS::Logs::LogGroup")
    for name, fn in FUNCTIONS.items():
        group_ref = fn["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        group = groups[group_ref]["Properties"]
        assert "RetentionInDays" in group
        assert (
            group["LogGroupName"]["Fn::Sub"]
            == "/aws/lambda/" + fn["Properties"]["FunctionName"]["Fn::Sub"]
        )
        log_statements = [
            s
            for s in statements(role_of(fn))
            if any(a.startswith("logs:") for a in as_list(s["Action"]))
        ]
        (only,) = log_statements
        assert set(as_list(only["Action"])) == {"logs:CreateLogStream", "logs:PutLogEvents"}
        assert "${" + group_ref + "}" in only["Resource"]["Fn::Sub"], name


def test_processor_writes_only_and_reader_reads_only_and_authorizer_touches_no_data() -> None:
    processor = {a for a in actions(role_of(function("processor"))) if a.startswith("dynamodb:")}
    reader = {a for a in actions(role_of(function("reader"))) if a.startswith("dynamodb:")}
    authorizer = {a for a in actions(role_of(function("authorizer"))) if a.startswith("dynamodb:")}
    assert processor == {"dynamodb:PutItem", "dynamodb:BatchWriteItem"}
    assert reader == {"dynamodb:GetItem", "dynamodb:Query"}
    assert authorizer == set()


# Of DynamoDB's item actions only Query and Scan address an index; an index ARN beside
# any other action is a grant that never matches a request (and hides a missing one).
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
INDEX_ACTIONS = {"dynamodb:Query", "dynamodb:Scan"}


def test_index_arns_are_granted_only_to_actions_that_address_an_index() -> None:
    for name, role in ROLES.items():
        for statement in statements(role):
            resources_ = [json.dumps(r) for r in as_list(statement["Resource"])]
            if any("/index/" in r for r in resources_):
                assert set(as_list(statement["Action"])) <= INDEX_ACTIONS, name


def test_every_non_options_method_uses_the_authorizer() -> None:
    authorizers = resources("AWS::ApiGateway::Authorizer")
    methods = resources("AWS::ApiGateway::Method")
    assert len(methods) == 5
    for name, method in methods.items():
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":
            assert props["Integration"]["Type"] == "MOCK"
            continue
        assert props["AuthorizationType"] == "CUSTOM", name
        assert props["AuthorizerId"]["Ref"] in authorizers, name
    (auth,) = authorizers.values()
    assert auth["Properties"]["Type"] == "REQUEST"
    assert auth["Properties"]["IdentitySource"] == "method.request.header.Authorization"


def test_every_alarm_notifies_the_topic_on_alarm_and_ok() -> None:
    topics = resources("AWS::SNS::Topic")
    alarms = resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 7
    for name, alarm in alarms.items():
        for key in ("AlarmActions", "OKActions"):
            refs = [a["Ref"] for a in alarm["Properties"][key]]
            assert refs and all(r in topics for r in refs), (name, key)


def test_every_handler_names_a_function_that_exists() -> None:
    for name, fn in FUNCTIONS.items():
        module, _, attr = fn["Properties"]["Handler"].rpartition(".")
        path = ROOT / Path(*module.split(".")).with_suffix(".py")
        assert path.is_file(), (name, path)
        tree = ast.parse(path.read_text())
        assert attr in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, name


def test_every_environment_variable_a_handler_reads_is_set() -> None:
    from handlers import settings  # pure: no third-party imports

    # Modules every function imports read these with os.environ.get("NAME", default).
    common = set(
        re.findall(
            r'os\.environ\.get\("(\w+)"', (ROOT / "handlers" / "observability.py").read_text()
        )
    )
    assert common == {"POWERTOOLS_METRICS_NAMESPACE"}
    for module in ("processor", "reader", "authorizer"):
        needs = set(settings.REQUIRED[module]) | set(settings.OPTIONAL[module]) | common
        variables = set(function(module)["Properties"]["Environment"]["Variables"])
        assert needs <= variables, (module, needs - variables)


def test_checkov_skips_each_have_a_reason() -> None:
    for name, resource in template()["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "")) > 20, (name, skip["id"])


def test_arns_are_built_from_pseudo_parameters_never_hard_coded() -> None:
    text = (ROOT / "cloudformation" / "template.yaml").read_text()
    assert "arn:aws:" not in text
    assert re.search(r"\b\d{12}\b", text) is None
    assert "us-east-1" not in text


def test_every_parameter_has_a_default() -> None:
    for name, parameter in template()["Parameters"].items():
        assert "Default" in parameter, name


@pytest.mark.parametrize(
    "output",
    ["ApiEndpoint", "UserPoolId", "UserPoolClientId", "TableName", "AlarmTopicArn", "Region"],
)
def test_outputs(output: str) -> None:
    assert output in template()["Outputs"]
