"""Emulator answers repaired at the edge (in-process moto behind a socket-free edge):
DescribeAlarms as AWS records it (StateTransitionedTimestamp, no ``Metrics: []`` on a plain
alarm; LocalStack's AWS-validated snapshot
tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json, "describe-alarm"), and the
topic's SubscriptionsConfirmed counting its confirmed SQS subscription."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from botocore.parsers import create_parser

from localenv.edge.backends import MotoBackend
from localenv.edge.calls import RawRequest
from localenv.edge.server import Edge
from localenv.observe.emulator_repairs import EmulatorRepairs
from tests.aws_requests import BOTOCORE, PROTOCOL, sdk_request


def request(service: str, operation: str, params: dict[str, Any]) -> RawRequest:
    return sdk_request(service, operation, params)


class Sdk:
    """botocore's serializer and parser around a socket-free edge."""

    def __init__(self, edge: Edge):
        self.edge = edge

    def __call__(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        model = BOTOCORE.get_service_model(service)
        response = self.edge.handle(request(service, operation, params))
        shape = model.operation_model(operation).output_shape
        assert response.status == 200, response.body
        if shape is None:  # an operation without output
            return {}
        parsed: dict[str, Any] = create_parser(PROTOCOL.get(service, model.protocol)).parse(
            {"status_code": 200, "headers": dict(response.headers), "body": response.body}, shape
        )
        return parsed


@pytest.fixture(scope="module")
def sdk() -> Sdk:
    backend = MotoBackend("127.0.0.1", 4566)
    backend.start()
    return Sdk(Edge("127.0.0.1", 0, backend, [EmulatorRepairs(backend.forward)]))


def test_describe_alarms_as_aws_records_a_plain_alarm(sdk: Sdk) -> None:
    name = f"a-{uuid.uuid4()}"
    sdk(
        "cloudwatch",
        "PutMetricAlarm",
        AlarmName=name,
        Namespace="N",
        MetricName="M",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=30.0,
        ComparisonOperator="GreaterThanThreshold",
    )
    (alarm,) = sdk("cloudwatch", "DescribeAlarms", AlarmNames=[name])["MetricAlarms"]
    assert "Metrics" not in alarm
    assert "StateReasonData" not in alarm
    assert alarm["StateTransitionedTimestamp"] == alarm["StateUpdatedTimestamp"]


def test_topic_counts_its_confirmed_sqs_subscription(sdk: Sdk) -> None:
    topic = sdk("sns", "CreateTopic", Name=f"t-{uuid.uuid4()}")["TopicArn"]
    queue = f"q-{uuid.uuid4()}"
    sdk("sqs", "CreateQueue", QueueName=queue)
    endpoint = f"arn:aws:sqs:us-east-1:123456789012:{queue}"
    sdk("sns", "Subscribe", TopicArn=topic, Protocol="sqs", Endpoint=endpoint)
    attributes = sdk("sns", "GetTopicAttributes", TopicArn=topic)["Attributes"]
    assert (attributes["SubscriptionsConfirmed"], attributes["SubscriptionsPending"]) == ("1", "0")
