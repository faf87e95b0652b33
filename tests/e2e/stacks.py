"""Helpers the E2E files share: a stack for the length of a block, stacks stopped in the
background, a process's children."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localenv.pytest_plugin import StackProcess
from tests.template_model import ROOT


class BackgroundStops:
    """`localenv down` of the stacks a fixture is done with, in the background: `down`
    waits seconds for the stack's process to exit, mostly idle, and no later test needs the
    old stack gone (each stack has its own ports and state directory). ``wait()`` (the
    end of the session, before a shared emulator stops) waits for every one and raises
    what any raised."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(thread_name_prefix="localenv-down")
        self.pending: list[Future[None]] = []

    def stop(self, process: StackProcess) -> None:
        self.pending.append(self.pool.submit(process.stop))

    def wait(self) -> None:
        while self.pending:
            self.pending.pop(0).result()


STOPS = BackgroundStops()


@contextmanager
def running(state_dir: Path, *args: str, root: Path = ROOT) -> Iterator[StackProcess]:
    """`localenv up --detach` with these arguments; `localenv down` (in the background)
    when the block ends."""
    process = StackProcess.start(root, state_dir, *args)
    try:
        yield process
    finally:
        STOPS.stop(process)


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
