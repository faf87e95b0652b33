"""An alarm notification crosses the topic policy, the topic's key policy and the queue
policy of an SQS subscriber: where one of them does not allow it, AWS delivers nothing,
and neither does the local stack. Against moto's SNS, SQS and KMS (in process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from localenv.iam import service_policies
from localenv.iam.evaluator import Verdict
from localenv.observe.notifications import Notifier

ACCOUNT = "123456789012"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:errors"


def allow(service: str, actions: Any, resource: str, **condition: Any) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": actions,
        "Resource": resource,
    }
    return statement | ({"Condition": condition} if condition else {})


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Aws:
    def __init__(self) -> None:
        session = boto3.Session(region_name="us-east-1")
        self.sns = session.client("sns")
        self.sqs = session.client("sqs")
        self.kms = session.client("kms")
        self.topic = self.sns.create_topic(Name="alarms")["TopicArn"]
        self.url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        self.queue = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=self.queue)

    def queue_policy(self, policy: str) -> None:
        self.sqs.set_queue_attributes(QueueUrl=self.url, Attributes={"Policy": policy})

    def sns_may_send(self) -> None:
        self.queue_policy(
            document(
                allow(
                    "sns.amazonaws.com",
                    "sqs:SendMessage",
                    self.queue,
                    ArnEquals={"aws:SourceArn": self.topic},
                )
            )
        )

    def topic_attribute(self, name: str, value: str) -> None:
        self.sns.set_topic_attributes(TopicArn=self.topic, AttributeName=name, AttributeValue=value)

    def key(self, *statements: dict[str, Any]) -> str:
        root = {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
        return str(self.kms.create_key(Policy=document(root, *statements))["KeyMetadata"]["Arn"])

    def notify(self, tmp_path: Path) -> list[dict[str, Any]]:
        """Publish as the alarm engine does; the messages the queue then holds."""
        message = {"AlarmName": "errors", "AlarmArn": ALARM}
        Notifier(self.sns, tmp_path, self.sqs, self.kms)(self.topic, "ALARM", message)
        received = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws()


def refusals(tmp_path: Path) -> list[str]:
    lines = (tmp_path / "notifications.jsonl").read_text().splitlines()
    return [json.loads(line).get("refused", "") for line in lines]


def test_a_queue_that_lets_the_topic_send_receives_the_notification(
    aws: Aws, tmp_path: Path
) -> None:
    aws.sns_may_send()
    [envelope] = aws.notify(tmp_path)
    assert envelope["TopicArn"] == aws.topic
    assert refusals(tmp_path) == [""]


def test_a_queue_without_a_policy_or_for_another_topic_receives_nothing(
    aws: Aws, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert aws.notify(tmp_path) == []
    assert "has no policy allowing sns.amazonaws.com to sqs:SendMessage" in capsys.readouterr().out
    other_topic = aws.topic.replace(":alarms", ":other")
    aws.queue_policy(
        document(
            allow(
                "sns.amazonaws.com",
                "sqs:SendMessage",
                aws.queue,
                ArnEquals={"aws:SourceArn": other_topic},
            )
        )
    )
    assert aws.notify(tmp_path) == []
    assert "(implicit deny)" in capsys.readouterr().out


def test_a_topic_policy_without_cloudwatch_publishes_nothing(aws: Aws, tmp_path: Path) -> None:
    aws.sns_may_send()
    aws.topic_attribute("Policy", document(allow("events.amazonaws.com", "sns:Publish", aws.topic)))
    assert aws.notify(tmp_path) == []
    [refused] = refusals(tmp_path)
    assert "cloudwatch.amazonaws.com to sns:Publish (implicit deny)" in refused
    condition = {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    granted = allow("cloudwatch.amazonaws.com", "sns:Publish", aws.topic) | {"Condition": condition}
    aws.topic_attribute("Policy", document(granted))
    assert len(aws.notify(tmp_path)) == 1


def test_the_default_topic_policy_lets_the_owner_accounts_alarms_publish(
    aws: Aws, tmp_path: Path
) -> None:
    aws.sns_may_send()
    assert len(aws.notify(tmp_path)) == 1  # moto's default policy: AWS:SourceOwner = account


def test_a_topic_key_must_let_cloudwatch_generate_data_keys_and_decrypt(
    aws: Aws, tmp_path: Path
) -> None:
    aws.sns_may_send()
    encrypt_only = allow("cloudwatch.amazonaws.com", ["kms:Decrypt"], "*")
    aws.topic_attribute("KmsMasterKeyId", aws.key(encrypt_only))
    assert aws.notify(tmp_path) == []
    assert "kms:GenerateDataKey" in refusals(tmp_path)[-1]
    both = allow("cloudwatch.amazonaws.com", ["kms:Decrypt", "kms:GenerateDataKey*"], "*")
    aws.topic_attribute("KmsMasterKeyId", aws.key(both))
    assert len(aws.notify(tmp_path)) == 1


def test_the_aws_managed_sns_key_cannot_serve_cloudwatch(aws: Aws, tmp_path: Path) -> None:
    aws.sns_may_send()
    aws.topic_attribute("KmsMasterKeyId", "alias/aws/sns")
    assert aws.notify(tmp_path) == []
    assert "AWS managed key alias/aws/sns" in refusals(tmp_path)[-1]


def test_an_explicit_deny_wins_and_unknown_condition_keys_are_not_taken_as_allowing() -> None:
    request = service_policies.ServiceRequest(
        "cloudwatch.amazonaws.com", "sns:Publish", "arn:aws:sns:us-east-1:1:t", "1", ALARM
    )
    grant = allow("cloudwatch.amazonaws.com", "sns:Publish", "*")
    insecure = {"Bool": {"aws:SecureTransport": "false"}}
    deny_insecure = {"Effect": "Deny", "Principal": "*", "Action": "sns:Publish", "Resource": "*"}
    assert (
        service_policies.verdict(
            document(grant, deny_insecure | {"Condition": insecure}), request, "t"
        )
        is Verdict.ALLOW
    )
    assert service_policies.verdict(document(grant, deny_insecure), request, "t") is (
        Verdict.EXPLICIT_DENY
    )
    org = grant | {"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}}
    refused = service_policies.refusal(document(org), request, "the topic policy")
    assert refused is not None and "cannot be judged" in refused
