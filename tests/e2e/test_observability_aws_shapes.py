"""The real template's p99 alarm, read back the way a user's tooling reads it on AWS:
`aws cloudwatch describe-alarm-history`, `get-metric-statistics --extended-statistics p99`
and `get-metric-data` with a p99 stat answer for the stack's metrics, and the SQS
subscriber of the alarm topic receives SNS's envelope with CloudWatch's reason text.
Expected shapes: LocalStack's AWS-validated snapshots
(tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json,
tests/aws/services/sns/test_sns.snapshot.json), ids and times as placeholders."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from localenv import emulator
from localenv.pytest_plugin import StackProcess, new_user
from tests.e2e.stacks import STOPS, queue_for_topic
from tests.template_model import ROOT

ALARM = "ob-processor-duration-p99"
FUNCTION = "ob-processor"
POINT = r"\d+\.\d+(E\d+)? \(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)"
REASON = re.compile(
    rf"Threshold Crossed: 3 out of the last 5 datapoints \[{POINT}, {POINT}, {POINT}\] were "
    r"greater than the threshold \(1\.0\) \(minimum 3 datapoints for OK -> ALARM transition\)\."
)


def client(stack: StackProcess, service: str) -> Any:
    return emulator.session("us-east-1").client(
        service, endpoint_url=stack.outputs["AwsEndpointUrl"]
    )


def evaluate(stack: StackProcess) -> float:
    """Complete the current minute on the stack's clock, evaluate the alarms; the clock's now."""
    control = json.loads((stack.state_dir / "run.json").read_text())["control_url"]
    response = requests.post(f"{control}/alarms/evaluate", params={"next_period": 60}, timeout=60)
    assert response.status_code == 200, response.text
    return float(response.json()["now"])


def aws(stack: StackProcess, *args: str) -> dict[str, Any]:
    """The AWS CLI (awscli, installed beside this interpreter) against the stack's endpoint."""
    cli = Path(sys.executable).parent / "aws"
    assert cli.exists(), "the AWS CLI (awscli) is needed: tox's e2e environment installs it"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    done = subprocess.run(
        [str(cli), "--endpoint-url", stack.outputs["AwsEndpointUrl"], "cloudwatch", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


@pytest.fixture(scope="module")
def fired(
    tmp_path_factory: pytest.TempPathFactory, localenv_backend_args: list[str]
) -> Iterator[tuple[StackProcess, str, float]]:
    """The real template, its processor p99 alarm driven to ALARM by real uploads."""
    stack = StackProcess.start(
        ROOT,
        tmp_path_factory.mktemp("observability"),
        "--stack-name",
        "ob",
        "--alarm-interval",
        "3600",
        "--parameter",
        "ProcessorDurationP99ThresholdMs=1",
        *localenv_backend_args,
    )
    try:
        queue = subscribe(stack)
        evaluate(stack)
        user = new_user(stack.outputs)
        auth = {"Authorization": f"Bearer {user.token}", "Content-Type": "text/plain"}
        for minute in range(3):
            upload = requests.post(
                stack.outputs["ApiEndpoint"], data=f"m {minute}\n", headers=auth, timeout=30
            )
            assert upload.status_code == 201, upload.text
            time.sleep(1.5)  # the function's metrics reach the store after its REPORT
            now = evaluate(stack)
        yield stack, queue, now
    finally:
        STOPS.stop(stack)


def subscribe(stack: StackProcess) -> str:
    sns, topic = client(stack, "sns"), stack.outputs["AlarmTopicArn"]
    return queue_for_topic(client(stack, "sqs"), sns, topic, "alarm-subscriber")


def window(now: float) -> list[str]:
    return ["--start-time", str(int(now - 3600)), "--end-time", str(int(now + 60))]


def test_describe_alarm_history_answers_the_state_update(
    fired: tuple[StackProcess, str, float],
) -> None:
    stack, _, _ = fired
    items = aws(
        stack,
        "describe-alarm-history",
        "--alarm-name",
        ALARM,
        "--history-item-type",
        "StateUpdate",
    )["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from OK to ALARM",
        "Alarm updated from INSUFFICIENT_DATA to OK",
    ]
    data = json.loads(items[0]["HistoryData"])
    assert data["oldState"]["stateValue"] == "OK"
    assert REASON.fullmatch(data["newState"]["stateReason"]), data["newState"]["stateReason"]
    reason_data = data["newState"]["stateReasonData"]
    assert (reason_data["statistic"], reason_data["period"]) == ("p99", 60)
    assert len(reason_data["recentDatapoints"]) == 3


def test_get_metric_statistics_reads_back_the_p99(fired: tuple[StackProcess, str, float]) -> None:
    stack, _, now = fired
    answer = aws(
        stack,
        "get-metric-statistics",
        "--namespace",
        "AWS/Lambda",
        "--metric-name",
        "Duration",
        "--dimensions",
        f"Name=FunctionName,Value={FUNCTION}",
        "--period",
        "60",
        "--extended-statistics",
        "p99",
        *window(now),
    )
    assert answer["Label"] == "Duration"
    points = answer["Datapoints"]
    assert len(points) == 3
    assert all(p["ExtendedStatistics"]["p99"] > 1.0 for p in points)
    assert {p["Unit"] for p in points} == {"Milliseconds"}
    # The CLI prints the JSON protocol's epoch seconds: each a period (minute) start.
    assert all(float(p["Timestamp"]) % 60 == 0 for p in points)


def test_get_metric_data_reads_back_the_p99(fired: tuple[StackProcess, str, float]) -> None:
    stack, _, now = fired
    metric = {
        "Namespace": "AWS/Lambda",
        "MetricName": "Duration",
        "Dimensions": [{"Name": "FunctionName", "Value": FUNCTION}],
    }
    query = [{"Id": "p99", "MetricStat": {"Metric": metric, "Period": 60, "Stat": "p99"}}]
    answer = aws(stack, "get-metric-data", "--metric-data-queries", json.dumps(query), *window(now))
    assert answer["Messages"] == []
    (result,) = answer["MetricDataResults"]
    assert (result["Id"], result["Label"], result["StatusCode"]) == ("p99", "Duration", "Complete")
    assert len(result["Values"]) == 3 and all(v > 1.0 for v in result["Values"])
    assert result["Timestamps"] == sorted(result["Timestamps"], reverse=True)


def test_sqs_subscriber_gets_aws_envelope_and_reason(
    fired: tuple[StackProcess, str, float],
) -> None:
    stack, queue, _ = fired
    sqs = client(stack, "sqs")
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    ]
    subscription = client(stack, "sns").list_subscriptions_by_topic(
        TopicArn=stack.outputs["AlarmTopicArn"]
    )["Subscriptions"][0]["SubscriptionArn"]
    (envelope,) = [b for b in bodies if json.loads(b["Message"])["NewStateValue"] == "ALARM"]
    assert envelope["SignatureVersion"] == "1"
    assert envelope["UnsubscribeURL"].endswith(f"&SubscriptionArn={subscription}")
    message = json.loads(envelope["Message"])
    assert message["AlarmName"] == ALARM
    assert REASON.fullmatch(message["NewStateReason"]), message["NewStateReason"]
    assert message["Trigger"]["ExtendedStatistic"] == "p99"
    assert message["Trigger"]["DatapointsToAlarm"] == 3  # the template sets it
    assert message["ActionExecutedAfterMuteWindow"] is False
    topic = client(stack, "sns").get_topic_attributes(TopicArn=stack.outputs["AlarmTopicArn"])
    assert topic["Attributes"]["SubscriptionsConfirmed"] == "1"


def test_describe_alarms_as_aws_records_it(fired: tuple[StackProcess, str, float]) -> None:
    stack, _, _ = fired
    (alarm,) = client(stack, "cloudwatch").describe_alarms(AlarmNames=[ALARM])["MetricAlarms"]
    assert "Metrics" not in alarm  # a plain metric alarm
    assert alarm["StateTransitionedTimestamp"] == alarm["StateUpdatedTimestamp"]
    assert REASON.fullmatch(alarm["StateReason"]), alarm["StateReason"]
