"""What an SQS subscriber of the alarm topic receives: SNS's envelope as AWS writes it
(SignatureVersion "1" on a default topic, signed SHA1withRSA; UnsubscribeURL naming the
real subscription), keys as recorded in LocalStack's AWS-validated snapshot
tests/aws/services/sns/test_sns.snapshot.json."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from localenv.observe.notifications import Notifier
from localenv.observe.sns_delivery import signing_key, string_to_sign

TOPIC = "arn:aws:sns:us-east-1:111111111111:alarms"
QUEUE = "arn:aws:sqs:us-east-1:111111111111:q"
SUBSCRIPTION = f"{TOPIC}:0f3c5ad6-51c5-4ea9-9b8a-3c6a1e4d2b7f"
MESSAGE = {"AlarmName": "a", "AlarmArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a"}


class FakeSns:
    def __init__(self, topic_attributes: dict[str, str], raw: str = "false"):
        self.topic_attributes = topic_attributes
        self.raw = raw

    def get_topic_attributes(self, TopicArn: str) -> dict[str, Any]:  # noqa: N803
        return {"Attributes": self.topic_attributes}

    def get_paginator(self, _name: str) -> FakeSns:
        return self

    def paginate(self, TopicArn: str) -> list[dict[str, Any]]:  # noqa: N803
        listed = {"SubscriptionArn": SUBSCRIPTION, "Protocol": "sqs", "Endpoint": QUEUE}
        pending = {"SubscriptionArn": "PendingConfirmation", "Protocol": "sqs", "Endpoint": QUEUE}
        return [{"Subscriptions": [listed, pending]}]

    def get_subscription_attributes(self, SubscriptionArn: str) -> dict[str, Any]:  # noqa: N803
        return {"Attributes": {"RawMessageDelivery": self.raw}}


class FakeSqs:
    """A queue whose policy lets the topic send to it, as SNS needs."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    def get_queue_attributes(self, QueueUrl: str, AttributeNames: list[str]) -> dict[str, Any]:  # noqa: N803
        allow = {
            "Effect": "Allow",
            "Principal": {"Service": "sns.amazonaws.com"},
            "Action": "sqs:SendMessage",
            "Resource": QUEUE,
            "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC}},
        }
        return {"Attributes": {"Policy": json.dumps({"Statement": [allow]})}}

    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, str]:  # noqa: N803
        return {"QueueUrl": f"http://sqs/{QueueOwnerAWSAccountId}/{QueueName}"}

    def send_message(self, QueueUrl: str, MessageBody: str) -> None:  # noqa: N803
        self.sent.append((QueueUrl, MessageBody))


def delivered(tmp_path: Path, sns: FakeSns) -> list[str]:
    sqs = FakeSqs()
    Notifier(sns, tmp_path, sqs, kms=None)(TOPIC, 'ALARM: "a" in US East (N. Virginia)', MESSAGE)
    assert [url for url, _ in sqs.sent] == ["http://sqs/111111111111/q"]  # confirmed only
    return [body for _, body in sqs.sent]


def test_sqs_subscriber_gets_aws_envelope_signed_version_1(tmp_path: Path) -> None:
    (body,) = delivered(tmp_path, FakeSns({"TopicArn": TOPIC}))
    envelope = json.loads(body)
    assert list(envelope) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
    ]
    assert envelope["Type"] == "Notification" and envelope["TopicArn"] == TOPIC
    assert json.loads(envelope["Message"]) == MESSAGE
    assert envelope["SignatureVersion"] == "1"
    assert envelope["UnsubscribeURL"] == (
        "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=" + SUBSCRIPTION
    )
    signed = string_to_sign({k: envelope[k] for k in list(envelope)[:6]}).encode()
    signing_key().public_key().verify(
        base64.b64decode(envelope["Signature"]), signed, padding.PKCS1v15(), hashes.SHA1()
    )  # raises if the signature is not SHA1withRSA over AWS's string to sign


def test_topic_signature_version_2_signs_sha256(tmp_path: Path) -> None:
    (body,) = delivered(tmp_path, FakeSns({"SignatureVersion": "2"}))
    envelope = json.loads(body)
    assert envelope["SignatureVersion"] == "2"
    signed = string_to_sign({k: envelope[k] for k in list(envelope)[:6]}).encode()
    signing_key().public_key().verify(
        base64.b64decode(envelope["Signature"]), signed, padding.PKCS1v15(), hashes.SHA256()
    )


def test_raw_message_delivery_sends_the_message_alone(tmp_path: Path) -> None:
    (body,) = delivered(tmp_path, FakeSns({}, raw="true"))
    assert json.loads(body) == MESSAGE
