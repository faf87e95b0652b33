"""The deploy-through-CloudFormation path (LocalStack): packaging, URLs, the deploy report,
the unauthenticated local-only variant (pure; CloudFormation answers from botocore's Stubber)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from localenv import cfn_report, cfn_variant
from localenv.cfn_deploy import (
    CfnDeployError,
    CfnDeployOptions,
    Target,
    announce,
    apply_stack,
    edition_from,
    local_api_url,
    packaged_template,
    wrong_edition,
)
from tests.template_model import TEMPLATE, resources

# LocalStack 4.14.0 (free) answered these for this template (tests/localstack runs it).
FALLBACK_REASON = (
    "Resource type AWS::Cognito::UserPool is not supported but was deployed as a fallback"
)
LAMBDA_REASON = "Error while creating lambda: Installation of lambda-runtime v0.1.41-pre failed."
STACK_RESOURCES = [
    {"LogicalResourceId": "Api", "ResourceType": "AWS::ApiGateway::RestApi",
     "ResourceStatus": "CREATE_COMPLETE", "PhysicalResourceId": "w6jyblhmts"},
    {"LogicalResourceId": "UserPool", "ResourceType": "AWS::Cognito::UserPool",
     "ResourceStatus": "CREATE_COMPLETE", "PhysicalResourceId": "unknown",
     "ResourceStatusReason": FALLBACK_REASON},
    {"LogicalResourceId": "AuthorizerFunction", "ResourceType": "AWS::Lambda::Function",
     "ResourceStatus": "CREATE_FAILED"},
    {"LogicalResourceId": "TokenAuthorizer", "ResourceType": "AWS::ApiGateway::Authorizer",
     "ResourceStatus": "CREATE_FAILED"},
]  # fmt: skip
STACK_EVENTS = [
    {"LogicalResourceId": "AuthorizerFunction", "ResourceStatusReason": LAMBDA_REASON},
    {"LogicalResourceId": "AuthorizerFunction", "ResourceStatusReason": None},
]
FREE_4_14 = edition_from(
    {"version": "4.14.0", "edition": "unknown", "is_license_activated": False},
    {"services": {"apigateway": "available", "dynamodb": "available", "lambda": "available"}},
)
LICENSED = edition_from(
    {"version": "4.14.0", "is_license_activated": True},
    {"services": {"cognito-idp": "available"}},
)


def report() -> cfn_report.DeployReport:
    found = cfn_report.resource_outcomes(STACK_RESOURCES, STACK_EVENTS, resources())
    return cfn_report.DeployReport("CREATE_FAILED", FREE_4_14, found)


def test_packaged_template_points_every_function_at_the_s3_object() -> None:
    packaged = packaged_template(TEMPLATE, "bucket", "key", Target.AS_IS)
    functions = [r for r in packaged["Resources"].values() if r["Type"] == "AWS::Lambda::Function"]
    assert len(functions) == 3
    assert all(f["Properties"]["Code"] == {"S3Bucket": "bucket", "S3Key": "key"} for f in functions)
    assert packaged["Resources"]["Api"]["Properties"]["Name"] == {
        "Fn::Sub": "${AWS::StackName}-api"
    }


@pytest.mark.parametrize(
    "answered",
    [
        "https://abc123.execute-api.us-east-1.amazonaws.com/prod/dataproc",  # AWS
        "https://abc123.execute-api.127.0.0.1:4567/prod/dataproc",  # LocalStack 4.14 on a host
        "https://abc123.execute-api.localhost.localstack.cloud:4566/prod/dataproc",  # its default
    ],
)
def test_execute_api_urls_become_localstack_urls(answered: str) -> None:
    assert local_api_url(answered, "http://127.0.0.1:4567") == (
        "http://127.0.0.1:4567/_aws/execute-api/abc123/prod/dataproc"
    )


def test_values_that_are_not_execute_api_urls_stay() -> None:
    assert local_api_url("us-east-1", "http://x") == "us-east-1"
    assert local_api_url("https://example.com/prod", "http://x") == "https://example.com/prod"


def test_report_names_every_fallback_and_failure_with_its_reason() -> None:
    found = report()
    assert [r.logical_id for r in found.of(cfn_report.Outcome.CREATED)] == ["Api"]
    (fallback,) = found.of(cfn_report.Outcome.FALLBACK)
    assert (fallback.logical_id, fallback.reason) == ("UserPool", FALLBACK_REASON)
    failed = {r.logical_id: r.reason for r in found.of(cfn_report.Outcome.FAILED)}
    assert failed == {"AuthorizerFunction": LAMBDA_REASON, "TokenAuthorizer": cfn_report.NO_REASON}
    absent = {r.logical_id for r in found.of(cfn_report.Outcome.ABSENT)}
    assert "DataTable" in absent and "UserPoolClient" not in absent  # conditional: not claimed
    assert not found.complete


def test_rendered_report_is_loud_about_fallbacks_and_the_edition() -> None:
    text = "\n".join(cfn_report.render(report()))
    assert f"UserPool (AWS::Cognito::UserPool): {FALLBACK_REASON}" in text
    assert f"AuthorizerFunction (AWS::Lambda::Function): {LAMBDA_REASON}" in text
    assert "this edition has no API Gateway authorizers" in text
    assert "this edition has no Cognito" in text
    assert text.endswith("verdict: NOT deployed as on AWS")


def test_report_json_records_the_same() -> None:
    recorded = json.loads(json.dumps(report().as_json()))
    assert recorded["Complete"] is False
    assert recorded["Fallback"] == {"UserPool": FALLBACK_REASON}
    assert recorded["Failed"]["AuthorizerFunction"] == LAMBDA_REASON
    assert recorded["Edition"]["authorizers"] is False


def test_an_unknown_emulator_is_said_to_be_unknown() -> None:
    text = cfn_report.render(cfn_report.DeployReport("CREATE_COMPLETE", None))
    assert "capabilities unknown" in text[1]
    assert text[-1] == "verdict: deployed as on AWS"


def test_a_fallback_with_no_reason_is_still_a_fallback() -> None:
    resource = dict(STACK_RESOURCES[1], ResourceStatusReason="")
    assert cfn_report.outcome_of(resource, {}).outcome is cfn_report.Outcome.FALLBACK


def test_wrong_edition_names_what_the_free_edition_fakes() -> None:
    template = packaged_template(TEMPLATE, "b", "k", Target.AS_IS)
    assert wrong_edition(template, FREE_4_14) == [
        "TokenAuthorizer (AWS::ApiGateway::Authorizer)",
        "UserPool (AWS::Cognito::UserPool)",
        "UserPoolClient (AWS::Cognito::UserPoolClient)",
    ]
    assert wrong_edition(template, LICENSED) == []
    assert wrong_edition(template, None) == []


def test_a_wrong_edition_is_announced_before_anything_is_created(tmp_path: Path) -> None:
    options = CfnDeployOptions(tmp_path, "http://127.0.0.1:4566", "http://x", tmp_path / "o")
    template = packaged_template(TEMPLATE, "b", "k", Target.AS_IS)
    said: list[str] = []
    announce(template, FREE_4_14, options, said.append)
    assert said[0].startswith("WRONG EDITION")
    assert "TokenAuthorizer (AWS::ApiGateway::Authorizer)" in said[1]
    assert "--target localstack-community" in said[2]
    said.clear()
    announce(template, LICENSED, options, said.append)
    assert said == []


def stubbed_cloudformation() -> tuple[Any, Stubber]:
    client = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
    )
    return client, Stubber(client)


def test_a_create_stack_500_that_leaves_the_stack_in_progress_is_reported_stuck() -> None:
    cfn, stubber = stubbed_cloudformation()
    stubber.add_client_error("create_stack", "InternalFailure", "boom", http_status_code=500)
    summary = {"StackName": "s", "StackStatus": "CREATE_IN_PROGRESS", "CreationTime": "2026-01-01"}
    stubber.add_response("list_stacks", {"StackSummaries": [summary]})
    stack = {"StackName": "s", "StackStatus": "CREATE_IN_PROGRESS", "CreationTime": "2026-01-01"}
    stubber.add_response("describe_stacks", {"Stacks": [stack]})
    with stubber:
        stuck = apply_stack(cfn, {"StackName": "s", "TemplateBody": "{}"}, update=False)
    assert stuck.startswith("the stack is CREATE_IN_PROGRESS after CreateStack failed")
    assert "InternalFailure" in stuck and "delete the stack" in stuck


def test_an_unchanged_template_updates_nothing_and_is_no_error() -> None:
    cfn, stubber = stubbed_cloudformation()
    stubber.add_client_error("update_stack", "ValidationError", "No updates are to be performed.")
    with stubber:
        assert apply_stack(cfn, {"StackName": "s", "TemplateBody": "{}"}, update=True) == ""


def test_a_create_stack_refusal_is_an_error_not_a_report() -> None:
    cfn, stubber = stubbed_cloudformation()
    stubber.add_client_error("create_stack", "ValidationError", "Template format error")
    stubber.add_response("list_stacks", {"StackSummaries": []})
    with stubber, pytest.raises(CfnDeployError, match=r"CreateStack: .*Template format error"):
        apply_stack(cfn, {"StackName": "s", "TemplateBody": "{}"}, update=False)


def test_unauthenticated_variant_drops_the_authorizer_and_cognito_only_in_the_copy() -> None:
    template = packaged_template(TEMPLATE, "b", "k", Target.AS_IS)
    variant = packaged_template(TEMPLATE, "b", "k", Target.LOCALSTACK_COMMUNITY)
    kinds = {r["Type"] for r in variant["Resources"].values()}
    assert not {k for k in kinds if k.startswith(cfn_variant.REMOVED_TYPES)}
    methods = [r for r in variant["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert {m["Properties"]["AuthorizationType"] for m in methods} == {"NONE"}
    assert variant["Description"].startswith("UNAUTHENTICATED LOCAL-ONLY VARIANT")
    assert "UserPoolId" not in variant["Outputs"] and "ApiEndpoint" in variant["Outputs"]
    assert {"ProcessorFunction", "ReaderFunction", "DataTable"} <= set(variant["Resources"])
    assert (
        template["Resources"]["PostDataprocMethod"]["Properties"]["AuthorizationType"] == "CUSTOM"
    )


@pytest.mark.parametrize(
    ("endpoint", "local"),
    [
        ("http://127.0.0.1:4566", True),
        ("http://localhost:4566", True),
        ("http://[::1]:4566", True),
        ("http://localstack:4566", True),  # a compose service on the project network
        ("https://cloudformation.us-east-1.amazonaws.com", False),
        ("http://10.0.0.5:4566", False),
        ("http://localhost.localstack.cloud:4566", False),
    ],
)
def test_the_variant_goes_to_local_endpoints_only(endpoint: str, local: bool) -> None:
    assert cfn_variant.is_local_endpoint(endpoint) is local
    if not local:
        with pytest.raises(cfn_variant.VariantRefusedError, match="unauthenticated and local-only"):
            cfn_variant.refuse_unless_local(endpoint)


def test_the_template_has_no_way_to_serve_the_api_without_its_authorizer() -> None:
    """No parameter or condition switches authentication off: every method but the CORS
    preflight is CUSTOM with the REQUEST authorizer, unconditionally."""
    authorizers = resources("AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1 and all("Condition" not in a for a in authorizers.values())
    for name, method in resources("AWS::ApiGateway::Method").items():
        props = method["Properties"]
        assert "Condition" not in method, name
        if props["HttpMethod"] == "OPTIONS":
            assert props["Integration"]["Type"] == "MOCK", name
            continue
        assert props["AuthorizationType"] == "CUSTOM", name
        assert props["AuthorizerId"] == {"Ref": next(iter(authorizers))}, name
