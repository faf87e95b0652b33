"""Alarm notifications: delivered to each confirmed subscription of the SNS topic in the
emulator as SNS delivers them (the envelope, to SQS queues and HTTP/S endpoints), logged
for ``localenv notifications``, and put in a local outbox for e-mail subscriptions, which
cannot be delivered from this machine.

The harness delivers rather than calling the emulator's Publish because moto's envelope
differs from AWS's (see ``sns_delivery``); everything still goes through public APIs
(ListSubscriptionsByTopic, GetTopicAttributes, GetSubscriptionAttributes, SQS SendMessage).
A protocol it cannot deliver (lambda, sms, firehose, application) is reported, not skipped
silently."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import requests

from localenv.observe.sns_delivery import (
    Notification,
    Subscription,
    envelope,
    http_headers,
)

HTTP_TIMEOUT_SECONDS = (
    15  # SNS gives an HTTP/S endpoint 15 s to answer (sns-message-delivery-retries.html)
)


class Notifier:
    def __init__(self, sns: Any, directory: Path, sqs: Any):
        self.sns = sns
        self.sqs = sqs
        self.log = directory / "notifications.jsonl"
        self.outbox = directory / "outbox"
        self.lock = threading.Lock()

    def __call__(self, topic_arn: str, subject: str, message: dict[str, Any]) -> None:
        attributes = self.sns.get_topic_attributes(TopicArn=topic_arn)["Attributes"]
        note = Notification(
            topic_arn, subject, json.dumps(message), attributes.get("SignatureVersion", "1")
        )
        record = {"time": time.time(), "topic": topic_arn, "subject": subject, "message": message}
        with self.lock:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("a") as log:
                log.write(json.dumps(record) + "\n")
        for subscription in self.subscriptions(topic_arn):
            self.deliver(note, subscription, record)

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
            self.to_queue(subscription, note.message if subscription.raw else json.dumps(body))
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

    def to_queue(self, subscription: Subscription, body: str) -> None:
        account, name = subscription.endpoint.split(":")[4:6]
        url = self.sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
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
