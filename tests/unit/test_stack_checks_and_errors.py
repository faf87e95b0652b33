"""Refusals before anything exists, one error family, and alarm failures said out loud."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localenv import build, emulator, errors, template_loader
from localenv.alarm_schedule import AlarmSchedule
from localenv.console import CliError
from localenv.deployer import check_provisioners
from localenv.edge.server import EdgeError
from localenv.errors import AwsCallError, LocalenvError, aws_call_errors
from localenv.intrinsics import UnsupportedError
from localenv.resources.base import DeployError
from localenv.resources.checks import check_alarm_actions
from localenv.resources.preview import Planned
from localenv.runtime.functions import CodeChangedError
from localenv.runtime.pool import RequestTooLargeError, ThrottledError
from localenv.template_loader import Node
from localenv.workspace import OutputsMissingError

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:alarms"


def planned(logical_id: str, kind: str, props: dict[str, Any]) -> Planned:
    node = Node({"Type": kind, "Properties": props})
    node.line = 7
    return Planned(logical_id, kind, node, props, "{" + logical_id + "}", "", True)


def plan(*resources: Planned) -> dict[str, Planned]:
    return {r.logical_id: r for r in resources}


def alarm(**actions: Any) -> Planned:
    return planned("Errors", "AWS::CloudWatch::Alarm", actions)


def test_sns_topic_actions_pass_as_arn_or_as_a_topic_not_created_yet() -> None:
    topic = planned("Topic", "AWS::SNS::Topic", {})
    check_alarm_actions(plan(topic, alarm(AlarmActions=["{Topic}"], OKActions=[TOPIC_ARN])))


@pytest.mark.parametrize(
    "action",
    [
        "arn:aws:automate:us-east-1:ec2:stop",
        "arn:aws:lambda:us-east-1:123456789012:function:page",
        "{Page}",  # a resource of the stack that is not a topic
    ],
)
def test_a_non_sns_alarm_action_is_refused_naming_the_alarm_and_line(action: str) -> None:
    page = planned("Page", "AWS::Lambda::Function", {})
    with pytest.raises(UnsupportedError, match=r"Errors \(AWS::CloudWatch::Alarm, line 7\)"):
        check_alarm_actions(plan(page, alarm(InsufficientDataActions=[action])))


def test_provisioner_checks_refuse_an_unsupported_authorizer_before_creation() -> None:
    authorizer = planned("Auth", "AWS::ApiGateway::Authorizer", {"Type": "TOKEN", "Name": "a"})
    with pytest.raises(UnsupportedError, match=r"Auth \(AWS::ApiGateway::Authorizer, line 7\)"):
        check_provisioners(plan(authorizer))


def test_an_identity_source_the_gateway_does_not_read_is_refused_at_deploy() -> None:
    sources = "method.request.header.Authorization, context.sourceIp"
    authorizer = planned(
        "Auth", "AWS::ApiGateway::Authorizer", {"Type": "REQUEST", "IdentitySource": sources}
    )
    with pytest.raises(UnsupportedError, match=r"Auth .*identity source context\.sourceIp"):
        check_provisioners(plan(authorizer))
    headers = {"Type": "REQUEST", "IdentitySource": "method.request.header.Authorization"}
    check_provisioners(plan(planned("Ok", "AWS::ApiGateway::Authorizer", headers)))


def test_provisioner_checks_refuse_unknown_integration_keys_and_method_settings() -> None:
    method = planned("Get", "AWS::ApiGateway::Method", {"Integration": {"Type": "AWS", "X": 1}})
    with pytest.raises(UnsupportedError, match=r"Get .*Integration \['X'\]"):
        check_provisioners(plan(method))
    stage = planned("Stage", "AWS::ApiGateway::Stage", {"MethodSettings": [{"Nope": True}]})
    with pytest.raises(UnsupportedError, match=r"Stage .*MethodSettings \['Nope'\]"):
        check_provisioners(plan(stage))


def test_properties_with_no_local_effect_are_named_and_a_policy_is_checked_at_deploy() -> None:
    api = planned("Api", "AWS::ApiGateway::RestApi", {"Name": "a", "MinimumCompressionSize": 5})
    table = planned("Table", "AWS::DynamoDB::Table", {"TableClass": "STANDARD"})
    assert check_provisioners(plan(api, table)) == [
        "Api.MinimumCompressionSize",
        "Table.TableClass",
    ]
    org = {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
    statement = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}
    policy = {"Statement": [statement | {"Condition": org}]}
    with pytest.raises(UnsupportedError, match=r"Api \(AWS::ApiGateway::RestApi.*PrincipalOrgID"):
        check_provisioners(plan(planned("Api", "AWS::ApiGateway::RestApi", {"Policy": policy})))


@pytest.mark.parametrize(
    "error",
    [
        CliError,
        emulator.EmulatorError,
        EdgeError,
        template_loader.TemplateError,
        UnsupportedError,
        DeployError,
        build.BuildError,
        ThrottledError,
        RequestTooLargeError,
        CodeChangedError,
        OutputsMissingError,
        AwsCallError,
    ],
)
def test_every_harness_error_is_a_localenv_error(error: type[Exception]) -> None:
    assert issubclass(error, LocalenvError)


def test_aws_sdk_errors_become_one_line_localenv_errors() -> None:
    refused = ClientError({"Error": {"Code": "NotAuthorizedException", "Message": "no"}}, "Auth")
    with (
        pytest.raises(errors.AwsCallError, match="NotAuthorizedException") as raised,
        aws_call_errors(),
    ):
        raise refused
    assert raised.value.__cause__ is refused


def failing() -> None:
    raise RuntimeError("DescribeAlarms answered 500")


def test_a_failed_alarm_evaluation_is_logged_with_traceback_and_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schedule = AlarmSchedule(failing)
    with caplog.at_level(logging.ERROR, logger="localenv.alarms"):
        schedule.tick()
    assert "RuntimeError: DescribeAlarms answered 500" in schedule.failures[0]
    assert caplog.records[0].exc_info is not None
    assert "alarm evaluation failed" in caplog.records[0].getMessage()


def test_a_good_evaluation_records_no_failure() -> None:
    calls: list[int] = []
    schedule = AlarmSchedule(lambda: calls.append(1))
    schedule.tick()
    assert calls == [1]
    assert list(schedule.failures) == []
