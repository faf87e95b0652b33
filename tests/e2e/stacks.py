"""Helpers the E2E files share: a stack for the length of a block, a process's children."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localenv.pytest_plugin import StackProcess
from tests.template_model import ROOT


@contextmanager
def running(state_dir: Path, *args: str, root: Path = ROOT) -> Iterator[StackProcess]:
    """`localenv up --detach` with these arguments; `localenv down` when the block ends."""
    process = StackProcess.start(root, state_dir, *args)
    try:
        yield process
    finally:
        process.stop()


def children_of(pid: int) -> list[int]:
    """The pids whose parent is `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def queue_for_topic(sqs: Any, sns: Any, topic_arn: str, name: str) -> str:
    """A queue subscribed to the topic, with the queue policy SNS needs to send to it
    (https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html).
    Returns the queue's URL."""
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "sns.amazonaws.com"},
        "Action": "sqs:SendMessage",
        "Resource": arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": topic_arn}},
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return url
