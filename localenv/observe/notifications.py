"""Alarm notifications: published to the SNS topic in the emulator (which delivers to its
SQS and HTTP subscribers), logged for ``localenv notifications``, and put in a local
outbox for e-mail subscriptions, which cannot be delivered from this machine."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any


class Notifier:
    def __init__(self, sns: Any, directory: Path):
        self.sns = sns
        self.log = directory / "notifications.jsonl"
        self.outbox = directory / "outbox"
        self.lock = threading.Lock()

    def __call__(self, topic_arn: str, subject: str, message: dict[str, Any]) -> None:
        body = json.dumps(message)
        self.sns.publish(TopicArn=topic_arn, Subject=subject, Message=body)
        record = {"time": time.time(), "topic": topic_arn, "subject": subject, "message": message}
        with self.lock:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            with self.log.open("a") as log:
                log.write(json.dumps(record) + "\n")
            for email in self.email_subscribers(topic_arn):
                self.outbox.mkdir(parents=True, exist_ok=True)
                name = f"{time.time_ns()}-{email.replace('@', '_at_')}.json"
                (self.outbox / name).write_text(json.dumps({"to": email, **record}, indent=1))

    def email_subscribers(self, topic_arn: str) -> list[str]:
        pages = self.sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn)
        return [
            s["Endpoint"]
            for page in pages
            for s in page["Subscriptions"]
            if s["Protocol"] in {"email", "email-json"}
        ]


def read(directory: Path) -> list[dict[str, Any]]:
    path = directory / "notifications.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
