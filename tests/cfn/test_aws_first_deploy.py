"""What AWS checks at deploy time that the template must survive, read as data.

Each test is one point AWS refuses (or silently ignores) that a first deploy or
an update would run into; the comment names AWS's documentation for it.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from localenv.packaging import DEPLOYMENT, hash_deployments
from tests.template_model import API_GATEWAY_LOGS_ACTIONS, ROOT, resources, template

UNRESERVED_MINIMUM = 100  # Lambda keeps at least 100 executions unreserved per account
SMALLEST_QUOTA = 10  # new accounts may have a concurrency quota of 10


# 1. https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
def test_the_account_logging_role_is_a_choice_can_create_log_groups_and_is_kept() -> None:
    (account_name,) = resources("AWS::ApiGateway::Account")
    account = template()["Resources"][account_name]
    role_name = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = template()["Resources"][role_name]
    # Setting it tests the role by creating /aws/apigateway/welcome, and every API of the
    # region logs through it: what AmazonAPIGatewayPushToCloudWatchLogs allows, on "*".
    (policy,) = role["Properties"]["Policies"]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert set(statement["Action"]) == API_GATEWAY_LOGS_ACTIONS
    principals = [
        s["Principal"] for s in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    ]
    assert principals == [{"Service": "apigateway.amazonaws.com"}]
    # One setting per account and region: a deliberate parameter, the role outlives the stack.
    condition = account.get("Condition")
    assert condition is not None and role.get("Condition") == condition
    (parameter,) = [
        ref["Ref"] for ref in template()["Conditions"][condition]["Fn::Equals"] if "Ref" in ref
    ]
    assert template()["Parameters"][parameter]["Default"] == "true"
    assert role["DeletionPolicy"] == "Retain" and account["DeletionPolicy"] == "Retain"
    # DependsOn on a resource whose condition may be false fails validation.
    for name, resource in template()["Resources"].items():
        depends = resource.get("DependsOn", [])
        assert account_name not in ([depends] if isinstance(depends, str) else depends), name


# 2. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html
def test_named_resources_are_not_retained_when_the_create_rolls_back() -> None:
    named = {"AWS::DynamoDB::Table": "TableName", "AWS::Cognito::UserPool": "UserPoolName"}
    checked = 0
    for name, resource in template()["Resources"].items():
        if resource["Type"] in named and named[resource["Type"]] in resource["Properties"]:
            assert resource["DeletionPolicy"] == "RetainExceptOnCreate", name
            checked += 1
    assert checked == 2
    for name, resource in template()["Resources"].items():
        if resource.get("DeletionPolicy") == "Retain":
            assert resource["Type"] in {"AWS::IAM::Role", "AWS::ApiGateway::Account"}, name


# 3. https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
def test_reserved_concurrency_is_off_by_default_and_can_always_be_off() -> None:
    parameters = template()["Parameters"]
    for name, function in resources("AWS::Lambda::Function").items():
        reserved = function["Properties"]["ReservedConcurrentExecutions"]
        condition, value, otherwise = reserved["Fn::If"]
        assert otherwise == {"Ref": "AWS::NoValue"}, name
        parameter = parameters[value["Ref"]]
        assert parameter["Default"] == 0 and parameter["MinValue"] == 0, name
        assert template()["Conditions"][condition] == {
            "Fn::Not": [{"Fn::Equals": [{"Ref": value["Ref"]}, "0"]}]
        }, name
    defaults = [
        parameters[f["Properties"]["ReservedConcurrentExecutions"]["Fn::If"][1]["Ref"]]["Default"]
        for f in resources("AWS::Lambda::Function").values()
    ]
    assert sum(defaults) <= max(0, SMALLEST_QUOTA - UNRESERVED_MINIMUM)


# 4. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-deployment.html
def hashed(changes: dict[str, Any] | None = None, **parameters: str) -> tuple[str, dict[str, Any]]:
    document = copy.deepcopy(template())
    for path, value in (changes or {}).items():
        *parents, last = path.split(".")
        target = document["Resources"]
        for part in parents:
            target = target[part]
        target[last] = value
    (new,) = hash_deployments(document, parameters).values()
    return new, document


def test_the_deployment_id_changes_exactly_when_the_api_does() -> None:
    base, document = hashed()
    (deployment,) = [n for n, r in document["Resources"].items() if r["Type"] == DEPLOYMENT]
    assert deployment == base and re.fullmatch(r"ApiDeployment[0-9a-f]{10}", base)
    assert document["Resources"]["ApiStage"]["Properties"]["DeploymentId"] == {"Ref": base}
    assert hashed()[0] == base  # unchanged API: the same deployment
    api_changes = {
        "PostDataprocMethod.Properties.AuthorizationType": "NONE",
        "TokenAuthorizer.Properties.IdentitySource": "method.request.header.X-Token",
        "Default4xxResponse.Properties.ResponseType": "UNAUTHORIZED",
        "Api.Properties.BinaryMediaTypes": ["text/plain", "text/csv"],
    }
    for path, value in api_changes.items():
        assert hashed({path: value})[0] != base, path
    assert hashed(CorsAllowOrigin="https://app.example.com")[0] != base
    # Not the API's definition: the same deployment.
    assert hashed({"ProcessorFunction.Properties.MemorySize": 2048})[0] == base
    assert hashed(AlarmEmail="you@example.com")[0] == base


def test_the_readme_deploys_the_template_with_hashed_deployments() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Deploy to AWS") : readme.index("## Tests")]
    package = re.search(r"^localenv package (\S+) --output (\S+)", section, re.M)
    deploy = re.search(r"^aws cloudformation deploy --template-file (\S+)", section, re.M)
    packaged = re.search(r"--output-template-file (\S+)", section)
    assert package and deploy and packaged
    assert package.group(1) == packaged.group(1)
    assert deploy.group(1) == package.group(2)
    assert section.index("localenv package") < section.index("aws cloudformation deploy")


# 5. Lambda counts the authorizer's "Unauthorized" raise (a 401) as an error.
def test_the_authorizer_alarm_subtracts_rejected_tokens() -> None:
    alarm = resources("AWS::CloudWatch::Alarm")["AuthorizerErrorsAlarm"]["Properties"]
    assert "MetricName" not in alarm
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    (result,) = [q for q in queries.values() if q.get("ReturnData", True)]
    stats = {i: q["MetricStat"] for i, q in queries.items() if "MetricStat" in q}
    by_metric = {(s["Metric"]["Namespace"], s["Metric"]["MetricName"]): i for i, s in stats.items()}
    errors, rejected = (
        by_metric[("AWS/Lambda", "Errors")],
        by_metric[("DataProc", "RejectedTokens")],
    )
    assert stats[errors]["Metric"]["Dimensions"] == [
        {"Name": "FunctionName", "Value": {"Ref": "AuthorizerFunction"}}
    ]
    # What the authorizer emits: namespace from its environment, dimension service=authorizer.
    env = resources("AWS::Lambda::Function")["AuthorizerFunction"]["Properties"]["Environment"]
    assert env["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] == "DataProc"
    assert stats[rejected]["Metric"]["Dimensions"] == [{"Name": "service", "Value": "authorizer"}]
    assert result["Expression"] == f"{errors} - FILL({rejected}, 0)"
    assert {s["Stat"] for s in stats.values()} == {"Sum"}
    assert (
        alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    )
    authorizer = (ROOT / "handlers" / "authorizer.py").read_text()
    assert 'name="RejectedTokens"' in authorizer and '"service", "authorizer"' in authorizer


# 6. https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
def test_cloudwatch_may_generate_data_keys_for_the_encrypted_topic() -> None:
    (key,) = resources("AWS::KMS::Key").values()
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [
        s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(cloudwatch["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


# 6. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/EncryptionAtRest.html
def test_the_table_key_is_the_one_the_checkov_skip_names() -> None:
    (table,) = resources("AWS::DynamoDB::Table").values()
    sse = table["Properties"].get("SSESpecification", {})
    (skip,) = [s for s in table["Metadata"]["checkov"]["skip"] if s["id"] == "CKV_AWS_119"]
    if sse.get("SSEEnabled") is True:  # the AWS managed key (aws/dynamodb), KMS charges apply
        assert "AWS managed key" in skip["comment"] and "SSEType" not in sse
    else:  # the AWS owned key, no charge
        assert "AWS owned key" in skip["comment"]
