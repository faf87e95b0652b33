"""`localenv cfn-deploy` against LocalStack 4.14.0 (free edition, no Docker), for real.

What it shows: what the free edition creates, fakes ("deployed as a fallback") and fails,
reported by cfn-deploy in one place and in its outputs file; the unauthenticated
local-only variant; DynamoDB through DynamoDB Local; the template's CORS preflight
through LocalStack's execute-api URL as cfn-deploy rewrites it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.cfn_deploy import local_api_url
from localenv.intrinsics import references
from tests.localstack.conftest import CfnDeployRun
from tests.localstack.process import LocalStackProcess
from tests.template_model import resources, template

FALLBACK = "is not supported but was deployed as a fallback"


def client(localstack: LocalStackProcess, service: str) -> Any:
    return emulator.session("us-east-1").client(service, endpoint_url=localstack.endpoint_url)


def stack_resources(localstack: LocalStackProcess, stack: str) -> dict[str, dict[str, Any]]:
    found = client(localstack, "cloudformation").describe_stack_resources(StackName=stack)
    return {r["LogicalResourceId"]: r for r in found["StackResources"]}


def test_the_real_template_is_reported_as_not_deployable_on_the_free_edition(
    as_is: CfnDeployRun,
) -> None:
    assert as_is.returncode == 1
    assert "WRONG EDITION" in as_is.output
    for name in ("TokenAuthorizer", "UserPool", "UserPoolClient"):
        assert name in as_is.output.split("WRONG EDITION", 1)[1].split("\n", 2)[1]
    deploy = as_is.outputs["Deploy"]
    assert deploy["Complete"] is False
    assert deploy["Edition"]["authorizers"] is False and deploy["Edition"]["cognito"] is False
    assert set(deploy["Fallback"]) == {"UserPool", "UserPoolClient"}
    assert all(FALLBACK in reason for reason in deploy["Fallback"].values())
    assert "TokenAuthorizer" in deploy["Failed"] or "TokenAuthorizer" in deploy["Absent"]
    assert "verdict: NOT deployed as on AWS" in as_is.output


def test_fallbacks_are_fakes_with_unknown_ids(
    as_is: CfnDeployRun, localstack: LocalStackProcess
) -> None:
    found = stack_resources(localstack, "as-is")
    assert {found[n]["PhysicalResourceId"] for n in as_is.outputs["Deploy"]["Fallback"]} == {
        "unknown"
    }
    pools = client(localstack, "cognito-idp")
    try:
        pools.list_user_pools(MaxResults=10)
    except pools.exceptions.ClientError as exc:  # the free edition has no Cognito at all
        print(f"cognito-idp ListUserPools: {exc}")
    else:
        raise AssertionError("the free edition answered Cognito")


def existence_checks(localstack: LocalStackProcess) -> dict[str, Callable[[str], object]]:
    """One read per resource type: the physical resource really exists in LocalStack."""
    return {
        "AWS::SNS::Topic": lambda arn: client(localstack, "sns").get_topic_attributes(TopicArn=arn),
        "AWS::KMS::Key": lambda key: client(localstack, "kms").describe_key(KeyId=key),
        "AWS::IAM::Role": lambda role: client(localstack, "iam").get_role(RoleName=role),
        "AWS::ApiGateway::RestApi": lambda api: client(localstack, "apigateway").get_rest_api(
            restApiId=api
        ),
        "AWS::Logs::LogGroup": lambda name: client(localstack, "logs").describe_log_groups(
            logGroupNamePrefix=name
        )["logGroups"][0],
        "AWS::CloudWatch::Alarm": lambda name: client(localstack, "cloudwatch").describe_alarms(
            AlarmNames=[name]
        )["MetricAlarms"][0],
        "AWS::DynamoDB::Table": lambda name: client(localstack, "dynamodb").describe_table(
            TableName=name
        ),
    }


def test_what_cfn_deploy_reports_created_exists(
    as_is: CfnDeployRun, community: CfnDeployRun, localstack: LocalStackProcess
) -> None:
    checks = existence_checks(localstack)
    for stack, run in (("as-is", as_is), ("community", community)):
        found = stack_resources(localstack, stack)
        for name in run.outputs["Deploy"]["Created"]:
            kind = found[name]["ResourceType"]
            if kind in checks:
                checks[kind](found[name]["PhysicalResourceId"])


def test_the_community_variant_deploys_without_fallbacks_and_says_it_is_unauthenticated(
    community: CfnDeployRun, localstack: LocalStackProcess
) -> None:
    assert "WARNING: UNAUTHENTICATED LOCAL-ONLY VARIANT" in community.output
    assert "WRONG EDITION" not in community.output
    deploy = community.outputs["Deploy"]
    assert "Fallback" not in deploy
    assert community.outputs["Target"] == "localstack-community"
    api = stack_resources(localstack, "community")["Api"]["PhysicalResourceId"]
    assert client(localstack, "apigateway").get_authorizers(restApiId=api)["items"] == []


def test_lambda_functions_are_reported_failed_with_the_emulators_reason(
    community: CfnDeployRun,
) -> None:
    failed = community.outputs["Deploy"]["Failed"]
    functions = set(resources("AWS::Lambda::Function")) & set(failed)
    assert functions, failed
    assert all("lambda" in failed[f].lower() for f in functions)


def needs(resource: dict[str, Any]) -> set[str]:
    depends = resource.get("DependsOn", [])
    return references(resource) | set([depends] if isinstance(depends, str) else depends)


def without_functions() -> dict[str, Any]:
    """The template minus what the free edition cannot create here: Lambda functions (no
    Docker), the authorizer and Cognito, and whatever refers to them. Everything else —
    table, API with its CORS preflight, deployment and stage, logs, alarms, topic, key,
    roles — must then deploy completely."""
    full = template()
    gone = {
        name
        for name, r in full["Resources"].items()
        if r["Type"] in ("AWS::Lambda::Function", "AWS::ApiGateway::Authorizer")
        or r["Type"].startswith("AWS::Cognito::")
    }
    while more := {n for n, r in full["Resources"].items() if references(r) & gone} - gone:
        gone |= more
    kept = {n: copy.deepcopy(r) for n, r in full["Resources"].items() if n not in gone}
    for resource in kept.values():
        resource["DependsOn"] = sorted(needs(resource) & set(kept) - references(resource))
    outputs = {k: v for k, v in full["Outputs"].items() if not references(v) & gone}
    return {**full, "Resources": kept, "Outputs": outputs}


@pytest.fixture(scope="session")
def functionless(localstack: LocalStackProcess) -> dict[str, Any]:
    cfn = client(localstack, "cloudformation")
    cfn.create_stack(
        StackName="functionless",
        TemplateBody=json.dumps(without_functions()),
        Capabilities=["CAPABILITY_IAM"],
    )
    cfn.get_waiter("stack_create_complete").wait(
        StackName="functionless", WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    stack: dict[str, Any] = cfn.describe_stacks(StackName="functionless")["Stacks"][0]
    return stack


def test_every_resource_type_the_free_edition_supports_is_created(
    functionless: dict[str, Any], localstack: LocalStackProcess
) -> None:
    assert functionless["StackStatus"] == "CREATE_COMPLETE"
    found = stack_resources(localstack, "functionless")
    unconditional = {n for n, r in without_functions()["Resources"].items() if "Condition" not in r}
    assert unconditional <= set(found)
    checks = existence_checks(localstack)
    for resource in found.values():
        assert resource["ResourceStatus"] == "CREATE_COMPLETE", resource
        assert resource["PhysicalResourceId"] != "unknown", resource
        if resource["ResourceType"] in checks:
            checks[resource["ResourceType"]](resource["PhysicalResourceId"])
    assert set(checks) <= {r["ResourceType"] for r in found.values()}
    print(f"created without fallback: {', '.join(sorted(found))}")


def test_dynamodb_runs_on_dynamodb_local_from_npm(
    functionless: dict[str, Any], localstack: LocalStackProcess
) -> None:
    table = stack_resources(localstack, "functionless")["DataTable"]["PhysicalResourceId"]
    dynamodb = client(localstack, "dynamodb")
    described = dynamodb.describe_table(TableName=table)["Table"]
    assert [i["IndexName"] for i in described["GlobalSecondaryIndexes"]] == ["byOwner"]
    dynamodb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s"}})
    assert dynamodb.get_item(TableName=table, Key={"pk": {"S": "p"}, "sk": {"S": "s"}})["Item"]


def test_cors_preflight_answers_through_the_rewritten_execute_api_url(
    functionless: dict[str, Any], localstack: LocalStackProcess
) -> None:
    """The template's ApiEndpoint output as LocalStack computes it, rewritten by cfn-deploy,
    answers the preflight the template defines."""
    answered = next(
        o["OutputValue"] for o in functionless["Outputs"] if o["OutputKey"] == "ApiEndpoint"
    )
    print(f"LocalStack's ApiEndpoint: {answered}")
    api = stack_resources(localstack, "functionless")["Api"]["PhysicalResourceId"]
    assert answered.startswith(f"https://{api}.execute-api.")
    url = local_api_url(answered, localstack.endpoint_url)
    assert url == f"{localstack.endpoint_url}/_aws/execute-api/{api}/prod/dataproc"
    expected = {
        "DataprocOptionsMethod": (url, "GET,POST,OPTIONS"),
        "UploadOptionsMethod": (f"{url}/some-upload", "GET,OPTIONS"),
    }
    for name, (target, methods) in expected.items():
        response = requests.options(target, headers={"Origin": "https://example.com"}, timeout=10)
        status = resources()[name]["Properties"]["Integration"]["IntegrationResponses"][0]
        assert response.status_code == int(status["StatusCode"]), (name, response.text)
        assert response.headers["Access-Control-Allow-Methods"] == methods
        assert response.headers["Access-Control-Allow-Headers"] == "Authorization,Content-Type"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
