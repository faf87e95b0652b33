"""Alarm notifications: delivered to each confirmed subscription of the SNS topic in the
emulator as SNS delivers them (the envelope, to SQS queues and HTTP/S endpoints), logged
for ``localenv notifications``, and put in a local outbox for e-mail subscriptions, which
cannot be delivered from this machine.

The harness delivers rather than calling the emulator's Publish because moto's envelope
differs from AWS's (see ``sns_delivery``); everything still goes through public APIs
(ListSubscriptionsByTopic, GetTopicAttributes, GetSubscriptionAttributes, SQS SendMessage).
A protocol it cannot deliver (lambda, sms, firehose, application) is reported, not skipped
silently. What AWS would refuse is refused here, loudly: CloudWatch publishing to a topic
whose policy or key policy does not let it, SNS sending to a queue whose policy or key
policy does not let it (localenv/iam/service_policies.py)."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path
from typing import Any

import requests

from localenv.iam.service_policies import ServiceRequest, refusal
from localenv.observe.sns_delivery import (
    Notification,
    Subscription,
    envelope,
    http_headers,
)

HTTP_TIMEOUT_SECONDS = (
    15  # SNS gives an HTTP/S endpoint 15 s to answer (sns-message-delivery-retries.html)
)


CLOUDWATCH = "cloudwatch.amazonaws.com"
SNS = "sns.amazonaws.com"
# What a service needs of a customer managed key to write to an encrypted topic or queue:
# https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


def account_of(arn: str) -> str:
    return arn.split(":")[4]


def default_topic_policy(topic_arn: str) -> str:
    """The policy every topic has until one is set: the owner account may publish.
    https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html"""
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "SNS:Publish",
        "Resource": topic_arn,
        "Condition": {"StringEquals": {"AWS:SourceOwner": account_of(topic_arn)}},
    }
    return json.dumps({"Version": "2008-10-17", "Statement": [allow]})


class Notifier:
    def __init__(self, sns: Any, directory: Path, sqs: Any, kms: Any):
        self.sns = sns
        self.sqs = sqs
        self.kms = kms
        self.log = directory / "notifications.jsonl"
        self.outbox = directory / "outbox"
        self.lock = threading.Lock()

    def __call__(self, topic_arn: str, subject: str, message: dict[str, Any]) -> None:
        attributes = self.sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        note = Notification(
            topic_arn, subject, json.dumps(message), attributes.get("SignatureVersion", "1")
        )
        record = {"time": time.time(), "topic": topic_arn, "subject": subject, "message": message}
        source = ServiceRequest(
            CLOUDWATCH, "sns:Publish", topic_arn, account_of(topic_arn), str(message["AlarmArn"])
        )
        policy = attributes.get("Policy") or default_topic_policy(topic_arn)
        refused = self.refusal(policy, attributes.get("KmsMasterKeyId"), source)
        if refused is not None:
            record["refused"] = refused
            print(f"localenv: alarm notification NOT published to {topic_arn}: {refused}")
        with self.lock:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("a") as log:
                log.write(json.dumps(record) + "\n")
        if refused is None:
            for subscription in self.subscriptions(topic_arn):
                self.deliver(note, subscription, record)

    def refusal(self, policy: str | None, key: str | None, request: ServiceRequest) -> str | None:
        """Why AWS would refuse the service's call on the resource (its policy, then the
        customer managed key it is encrypted with), or None."""
        what = {"sns": "topic", "sqs": "queue"}[request.resource.split(":")[2]]
        if policy is None:  # a queue without a policy lets no other service in
            return f"the {what} has no policy allowing {request.service} to {request.action}"
        refused = refusal(policy, request, f"the {what} policy of {request.resource}")
        if refused is not None or not key:
            return refused
        if key.startswith("alias/aws/"):
            # An AWS managed key's policy cannot be changed to let another service use it.
            return (
                f"the {what} is encrypted with the AWS managed key {key}, which "
                f"{request.service} cannot use: a customer managed key whose policy allows it is"
                " needed"
            )
        described = self.kms.describe_key(KeyId=key)["KeyMetadata"]
        document = self.kms.get_key_policy(KeyId=described["KeyId"], PolicyName="default")
        for action in KEY_ACTIONS:
            on_key = dataclasses.replace(request, action=action, resource=described["Arn"])
            refused = refusal(document["Policy"], on_key, f"the key policy of {described['Arn']}")
            if refused is not None:
                return refused
        return None

    def subscriptions(self, topic_arn: str) -> list[Subscription]:
        pages = self.sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        found = []
        for page in pages:
            for s in page["Subscriptions"]:
                if s["SubscriptionArn"].startswith("arn:"):  # not PendingConfirmation
                    found.append(self.subscription(s))
        return found

    def subscription(self, listed: dict[str, Any]) -> Subscription:
        attributes = self.sns.get_subscription_attributes(
            SubscriptionArn=listed["SubscriptionArn"]
        )["Attributes"]
        raw = str(attributes.get("RawMessageDelivery", "false")).lower() == "true"
        return Subscription(listed["SubscriptionArn"], listed["Protocol"], listed["Endpoint"], raw)

    def deliver(
        self, note: Notification, subscription: Subscription, record: dict[str, Any]
    ) -> None:
        body = envelope(note, subscription, time.time())
        if subscription.protocol == "sqs":
            message = note.message if subscription.raw else json.dumps(body)
            self.to_queue(subscription, message, note.topic_arn)
        elif subscription.protocol in {"http", "https"}:
            self.to_http(subscription, note.message if subscription.raw else json.dumps(body), body)
        elif subscription.protocol in {"email", "email-json"}:
            self.to_outbox(subscription.endpoint, record)
        else:
            print(
                f"localenv: alarm notification not delivered to {subscription.protocol} "
                f"subscriber {subscription.endpoint}: only sqs, http/https and e-mail (outbox) "
                "are delivered locally",
                flush=True,
            )

    def to_queue(self, subscription: Subscription, body: str, topic_arn: str) -> None:
        account, name = subscription.endpoint.split(":")[4:6]
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["Policy", "KmsMasterKeyId"]
        ).get("Attributes", {})
        request = ServiceRequest(
            SNS, "sqs:SendMessage", subscription.endpoint, account_of(topic_arn), topic_arn
        )
        refused = self.refusal(attributes.get("Policy"), attributes.get("KmsMasterKeyId"), request)
        if refused is not None:
            print(f"localenv: notification NOT delivered to {subscription.endpoint}: {refused}")
            return
        self.sqs.send_message(QueueUrl=url, MessageBody=body)

    def to_http(self, subscription: Subscription, body: str, envelope_: dict[str, Any]) -> None:
        try:
            requests.post(
                subscription.endpoint,
                data=body.encode(),
                headers=http_headers(envelope_, subscription),
                timeout=HTTP_TIMEOUT_SECONDS,
            )
        except requests.RequestException as exc:
            print(f"localenv: notification to {subscription.endpoint} failed: {exc}", flush=True)

    def to_outbox(self, email: str, record: dict[str, Any]) -> None:
        with self.lock:
            self.outbox.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}-{email.replace('@', '_at_')}.json"
            (self.outbox / name).write_text(json.dumps({"to": email, **record}, indent=1))


def read(directory: Path) -> list[dict[str, Any]]:
    path = directory / "notifications.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
