"""The deployer on the real template: every resource exists with its real properties."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localenv import stack
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployError
from localenv.template_loader import TemplateError
from tests.e2e.conftest import client, copy_project
from tests.template_model import resources, template


@pytest.fixture
def deployed(moto_endpoint: str, stack_options: stack.StackOptions) -> dict[str, Any]:
    outputs, _ = stack.deploy(stack_options, moto_endpoint, "test-emulator", lambda _m: None)
    return outputs


def test_every_resource_reads_back_with_its_properties(
    deployed: dict[str, Any], moto_endpoint: str, stack_options: stack.StackOptions
) -> None:
    apigw = client(moto_endpoint, "apigateway")
    (api,) = [a for a in apigw.get_rest_apis()["items"] if a["name"] == "e2e-api"]
    assert api["binaryMediaTypes"] == ["text/plain"]
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    (authorizer,) = apigw.get_authorizers(restApiId=api["id"])["items"]
    assert authorizer["type"] == "REQUEST"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    assert authorizer["authorizerUri"].endswith("function:e2e-authorizer/invocations")
    paths = {r["path"]: r for r in apigw.get_resources(restApiId=api["id"])["items"]}
    assert set(paths) == {"/", "/dataproc", "/dataproc/{uploadId}"}
    post = apigw.get_method(
        restApiId=api["id"], resourceId=paths["/dataproc"]["id"], httpMethod="POST"
    )
    assert post["authorizationType"] == "CUSTOM"
    assert post["authorizerId"] == authorizer["id"]
    assert post["methodIntegration"]["type"] == "AWS_PROXY"
    stage = apigw.get_stage(restApiId=api["id"], stageName="prod")
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 100.0
    assert stage["methodSettings"]["*/*"]["throttlingBurstLimit"] == 200
    assert stage["methodSettings"]["*/*"]["metricsEnabled"] is True
    assert stage["accessLogSettings"]["destinationArn"].endswith(
        "log-group:/aws/apigateway/e2e-access:*"
    )
    assert json.loads(stage["accessLogSettings"]["format"].replace("\n", " "))["status"]
    assert stage["tracingEnabled"] is True
    responses = apigw.get_gateway_responses(restApiId=api["id"])["items"]
    cors = {r["responseType"]: r for r in responses}
    assert (
        cors["DEFAULT_4XX"]["responseParameters"][
            "gatewayresponse.header.Access-Control-Allow-Origin"
        ]
        == "'*'"
    )

    table = client(moto_endpoint, "dynamodb").describe_table(TableName="e2e-data")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    assert table["DeletionProtectionEnabled"] is True
    assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["byOwner"]
    backups = client(moto_endpoint, "dynamodb").describe_continuous_backups(TableName="e2e-data")
    assert (
        backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"][
            "PointInTimeRecoveryStatus"
        ]
        == "ENABLED"
    )

    lam = client(moto_endpoint, "lambda")
    for name, handler in (
        ("processor", "handlers.processor.handler"),
        ("reader", "handlers.reader.handler"),
        ("authorizer", "handlers.authorizer.handler"),
    ):
        config = lam.get_function(FunctionName=f"e2e-{name}")
        assert config["Configuration"]["Handler"] == handler
        assert config["Configuration"]["Runtime"] == "python3.12"
        assert config["Configuration"]["TracingConfig"]["Mode"] == "Active"
        assert "Concurrency" not in config  # no reservation by default: fits any quota
    env = lam.get_function_configuration(FunctionName="e2e-processor")["Environment"]["Variables"]
    assert env["TABLE_NAME"] == "e2e-data"
    assert env["MAX_UPLOAD_BYTES"] == "4194304"
    auth_env = lam.get_function_configuration(FunctionName="e2e-authorizer")["Environment"]
    assert auth_env["Variables"]["COGNITO_ISSUER"] == (
        f"https://cognito-idp.us-east-1.amazonaws.com/{deployed['UserPoolId']}"
    )
    policy = json.loads(lam.get_policy(FunctionName="e2e-processor")["Policy"])
    assert policy["Statement"][0]["Condition"]["ArnLike"]["AWS:SourceArn"].endswith(
        f"{api['id']}/prod/POST/dataproc"
    )

    iam = client(moto_endpoint, "iam")
    processor_role = lam.get_function_configuration(FunctionName="e2e-processor")["Role"]
    role_name = processor_role.rsplit("/", 1)[1]
    names = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    assert set(names) == {"logs", "write-table", "xray"}

    logs = client(moto_endpoint, "logs")
    groups = {g["logGroupName"]: g for g in logs.describe_log_groups()["logGroups"]}
    assert groups["/aws/lambda/e2e-processor"]["retentionInDays"] == 30

    cognito = client(moto_endpoint, "cognito-idp")
    pool = cognito.describe_user_pool(UserPoolId=deployed["UserPoolId"])["UserPool"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 12
    app = cognito.describe_user_pool_client(
        UserPoolId=deployed["UserPoolId"], ClientId=deployed["UserPoolClientId"]
    )
    assert set(app["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    assert "ClientSecret" not in app["UserPoolClient"]

    sns = client(moto_endpoint, "sns")
    attributes = sns.get_topic_attributes(TopicArn=deployed["AlarmTopicArn"])["Attributes"]
    assert attributes["KmsMasterKeyId"]
    assert "DenyInsecureTransport" in attributes["Policy"]
    kms = client(moto_endpoint, "kms")
    assert kms.get_key_rotation_status(KeyId=attributes["KmsMasterKeyId"])["KeyRotationEnabled"]

    alarms = {
        a["AlarmName"]: a
        for a in client(moto_endpoint, "cloudwatch").describe_alarms()["MetricAlarms"]
    }
    assert len(alarms) == len(resources("AWS::CloudWatch::Alarm"))
    p99 = alarms["e2e-processor-duration-p99"]
    assert p99["ExtendedStatistic"] == "p99"
    assert p99["Dimensions"] == [{"Name": "FunctionName", "Value": "e2e-processor"}]
    assert (p99["EvaluationPeriods"], p99["DatapointsToAlarm"]) == (5, 3)
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [deployed["AlarmTopicArn"]]
        assert alarm["OKActions"] == [deployed["AlarmTopicArn"]]
    # The Arn the deploy records for each alarm (GetAtt Arn) is the emulator's.
    state = json.loads(stack_options.workspace.state_file.read_text())
    recorded = {
        r["physical_id"]: r["attributes"]["Arn"]
        for r in state["resources"].values()
        if r["type"] == "AWS::CloudWatch::Alarm"
    }
    assert recorded == {name: alarm["AlarmArn"] for name, alarm in alarms.items()}


def test_outputs_are_computed_as_cloudformation_would(deployed: dict[str, Any]) -> None:
    assert set(template()["Outputs"]) <= set(deployed)
    assert deployed["ApiEndpoint"] == "http://127.0.0.1:4510/prod/dataproc"
    assert deployed["TableName"] == "e2e-data"
    assert deployed["AlarmTopicArn"] == "arn:aws:sns:us-east-1:123456789012:e2e-alarms"
    assert deployed["Region"] == "us-east-1"
    for key in ("AwsEndpointUrl", "DemoUsername", "DemoPassword", "UserPoolId", "UserPoolClientId"):
        assert deployed[key]


def test_demo_user_can_get_an_access_token(deployed: dict[str, Any], moto_endpoint: str) -> None:
    from localenv.cognito_users import access_token

    token = access_token(
        client(moto_endpoint, "cognito-idp"),
        deployed["UserPoolClientId"],
        deployed["DemoUsername"],
        deployed["DemoPassword"],
    )
    assert token.count(".") == 2


def test_second_deploy_applies_a_template_change_and_keeps_table_data(
    moto_endpoint: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    options = stack.StackOptions(root=root, stack_name="e2e")
    stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    dynamodb = client(moto_endpoint, "dynamodb")
    dynamodb.put_item(TableName="e2e-data", Item={"pk": {"S": "keep"}, "sk": {"S": "me"}})
    path = root / "cloudformation" / "template.yaml"
    path.write_text(
        path.read_text()
        .replace("AlarmDescription: The API answered 5XX.", "AlarmDescription: Changed locally.")
        .replace("API p99 latency above the threshold", "changed too")
    )
    _, result = stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    assert set(result.replaced) == {"Api5xxAlarm", "ApiLatencyP99Alarm"}
    assert "DataTable" in result.kept
    alarms = {
        a["AlarmName"]: a
        for a in client(moto_endpoint, "cloudwatch").describe_alarms()["MetricAlarms"]
    }
    assert alarms["e2e-api-5xx"]["AlarmDescription"] == "Changed locally."
    assert alarms["e2e-api-latency-p99"]["AlarmDescription"].startswith("changed too")
    assert dynamodb.get_item(
        TableName="e2e-data", Key={"pk": {"S": "keep"}, "sk": {"S": "me"}}
    ).get("Item")


def test_changed_function_replaces_its_dependents_too(moto_endpoint: str, tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    options = stack.StackOptions(root=root, stack_name="e2e")
    stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    path = root / "cloudformation" / "template.yaml"
    path.write_text(
        path.read_text().replace(
            "Description: POST /dataproc - validate an upload and store its lines.",
            "Description: changed",
        )
    )
    _, result = stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    assert "ProcessorFunction" in result.replaced
    assert "ProcessorInvokePermission" in result.replaced  # depends on the function
    assert "DataTable" in result.kept
    policy = client(moto_endpoint, "lambda").get_policy(FunctionName="e2e-processor")
    assert json.loads(policy["Policy"])["Statement"]


def test_removed_resource_is_deleted(moto_endpoint: str, tmp_path: Path) -> None:
    root = copy_project(tmp_path)
    options = stack.StackOptions(root=root, stack_name="e2e")
    stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    path = root / "cloudformation" / "template.yaml"
    text = path.read_text()
    start = text.index("  ApiLatencyP99Alarm:")
    end = text.index("Outputs:")
    path.write_text(text[:start] + text[end:])
    _, result = stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    assert result.deleted == ["ApiLatencyP99Alarm"]
    names = [
        a["AlarmName"]
        for a in client(moto_endpoint, "cloudwatch").describe_alarms()["MetricAlarms"]
    ]
    assert "e2e-api-latency-p99" not in names


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        ("  Queue:\n    Type: AWS::SQS::Queue\n", r"Queue \(line \d+\).*AWS::SQS::Queue"),
        (
            "  Odd:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !ImportValue x\n",
            r"Odd.*line \d+.*Fn::ImportValue",
        ),
        (
            "  Odd:\n    Type: AWS::SNS::Topic\n    Properties:\n"
            "      ContentBasedDeduplication: true\n",
            r"Odd \(line \d+\).*AWS::SNS::Topic\.ContentBasedDeduplication",
        ),
    ],
)
def test_unsupported_type_intrinsic_or_property_fails_loudly(
    moto_endpoint: str, tmp_path: Path, addition: str, message: str
) -> None:
    root = copy_project(tmp_path)
    path = root / "cloudformation" / "template.yaml"
    path.write_text(path.read_text().replace("\nOutputs:", addition + "\nOutputs:"))
    with pytest.raises((UnsupportedError, TemplateError, DeployError), match=message):
        stack.deploy(
            stack.StackOptions(root=root, stack_name="e2e"), moto_endpoint, "emu", lambda _m: None
        )


def test_new_code_under_the_same_path_updates_the_function_in_place(
    moto_endpoint: str, tmp_path: Path
) -> None:
    root = copy_project(tmp_path)
    options = stack.StackOptions(root=root, stack_name="e2e")
    stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    lam = client(moto_endpoint, "lambda")
    before = lam.get_function_configuration(FunctionName="e2e-reader")["CodeSha256"]
    reader = root / "handlers" / "reader.py"
    reader.write_text(reader.read_text() + "\n# a local edit\n")
    _, result = stack.deploy(options, moto_endpoint, "emu", lambda _m: None)
    assert set(result.updated) == {"ProcessorFunction", "ReaderFunction", "AuthorizerFunction"}
    assert result.replaced == [] and result.created == []
    after = lam.get_function_configuration(FunctionName="e2e-reader")["CodeSha256"]
    assert after != before
