"""Emulator answers repaired at the edge where they differ from AWS's in what a user's
tooling reads about alarms and their topic (an edge interceptor that forwards the call to
the emulator itself and corrects the answer):

- ``DescribeAlarms`` / ``DescribeAlarmsForMetric`` (CloudWatch JSON protocol): AWS writes
  ``StateTransitionedTimestamp``, leaves out ``Metrics`` on a plain metric alarm and
  ``StateReasonData`` on an alarm that never had any (recorded: LocalStack's AWS-validated
  snapshot tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json, "describe-alarm").
  moto writes no StateTransitionedTimestamp, ``Metrics: []`` and ``StateReasonData: "{}"``.
- SNS ``GetTopicAttributes`` (query protocol): ``SubscriptionsConfirmed`` and
  ``SubscriptionsPending`` count the topic's subscriptions
  (https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html); moto answers 0.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from localenv.edge.calls import AwsCall, RawRequest
from localenv.edge.errors import EdgeResponse

Forward = Callable[[RawRequest], EdgeResponse]
ALARM_LISTS = {"DescribeAlarms", "DescribeAlarmsForMetric"}
SNS_NAMESPACE = "{http://sns.amazonaws.com/doc/2010-03-31/}"


def repaired_alarm(alarm: dict[str, Any]) -> dict[str, Any]:
    fixed = dict(alarm)
    if fixed.get("Metrics") == []:
        del fixed["Metrics"]
    if fixed.get("StateReasonData") in {"{}", ""}:
        del fixed["StateReasonData"]
    if "StateUpdatedTimestamp" in fixed:
        # The harness changes an alarm's state only on a transition (the alarm engine),
        # so the last update is the last transition.
        fixed.setdefault("StateTransitionedTimestamp", fixed["StateUpdatedTimestamp"])
    return fixed


def repaired_alarms(body: bytes) -> bytes:
    answer = json.loads(body)
    answer["MetricAlarms"] = [repaired_alarm(a) for a in answer.get("MetricAlarms", [])]
    return json.dumps(answer).encode()


def subscription_counts(page: bytes) -> tuple[int, int, str | None]:
    """Confirmed and pending subscriptions on one ListSubscriptionsByTopic page, and its
    NextToken."""
    root = ET.fromstring(page)  # noqa: S314 - the emulator's own answer
    arns = [e.text or "" for e in root.iter(f"{SNS_NAMESPACE}SubscriptionArn")]
    pending = sum(1 for a in arns if a == "PendingConfirmation")
    token = root.find(f".//{SNS_NAMESPACE}NextToken")
    return len(arns) - pending, pending, token.text if token is not None else None


def with_count(body: bytes, key: str, count: int) -> bytes:
    pattern = rf"(<key>{key}</key>\s*<value>)\d*(</value>)".encode()
    return re.sub(pattern, rb"\g<1>" + str(count).encode() + rb"\g<2>", body)


class EmulatorRepairs:
    def __init__(self, forward: Forward):
        self.forward = forward

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        service = call.model.name if call.model else None
        if service == "cloudwatch" and call.operation in ALARM_LISTS:
            if call.raw.header("X-Amz-Target") is None:
                return None  # query or CBOR: answered as the emulator answers it
            response = self.forward(call.raw)
            if response.status != 200:
                return response
            return replace(response, body=repaired_alarms(response.body))
        if service == "sns" and call.operation == "GetTopicAttributes":
            return self.topic_attributes(call)
        return None

    def topic_attributes(self, call: AwsCall) -> EdgeResponse | None:
        if "TopicArn" not in call.params:
            return None
        response = self.forward(call.raw)
        if response.status != 200:
            return response
        confirmed, pending = self.count(call.raw, call.params["TopicArn"])
        body = with_count(response.body, "SubscriptionsConfirmed", confirmed)
        return replace(response, body=with_count(body, "SubscriptionsPending", pending))

    def count(self, raw: RawRequest, topic: str) -> tuple[int, int]:
        confirmed = pending = 0
        token: str | None = ""
        while token is not None:
            query = {"Action": "ListSubscriptionsByTopic", "Version": "2010-03-31"}
            query |= {"TopicArn": topic, **({"NextToken": token} if token else {})}
            listing = replace(raw, body=urlencode(query).encode())
            page = self.forward(listing)
            if page.status != 200:
                return 0, 0
            more, waiting, token = subscription_counts(page.body)
            confirmed, pending = confirmed + more, pending + waiting
        return confirmed, pending
