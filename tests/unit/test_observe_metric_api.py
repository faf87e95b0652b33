"""GetMetricStatistics and GetMetricData for the stack's metrics, answered at the edge from
the metric store: percentiles, labels, Messages and period-aligned timestamps as AWS
records them (LocalStack's AWS-validated snapshot
tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from localenv.edge.calls import parse
from localenv.observe.alarm_history import AlarmHistory
from localenv.observe.clock import Clock
from localenv.observe.cloudwatch_api import CloudWatchApi
from localenv.observe.metrics import MetricKey, MetricStore
from tests.unit.cloudwatch_calls import cloudwatch, raw_call

DURATION = MetricKey.of("AWS/Lambda", "Duration", {"FunctionName": "f"})
ERRORS = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
T0 = 1_793_000_000.0 - 1_793_000_000.0 % 3600  # an hour boundary
DIMENSIONS = [{"Name": "FunctionName", "Value": "f"}]


def api() -> CloudWatchApi:
    store = MetricStore()
    for i in range(100):  # 1..100 ms in the minute [T0, T0+60)
        store.add(DURATION, T0 + i * 0.5, float(i + 1), "Milliseconds")
    store.add(DURATION, T0 + 60, 7.0, "Milliseconds")  # the next minute
    for value in (1.0, 0.0, 1.0):
        store.add(ERRORS, T0 + 75, value, "Count")
    return CloudWatchApi(store, AlarmHistory(), Clock(lambda: T0 + 600))


def at(seconds: float) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC)


def stat(id: str, key: MetricKey, stat: str, period: int = 60, **extra: Any) -> dict[str, Any]:
    metric = {"Namespace": key.namespace, "MetricName": key.name, "Dimensions": DIMENSIONS}
    return {"Id": id, "MetricStat": {"Metric": metric, "Period": period, "Stat": stat}, **extra}


def test_get_metric_statistics_answers_extended_statistics() -> None:
    answer = cloudwatch(
        api(),
        "GetMetricStatistics",
        Namespace="AWS/Lambda",
        MetricName="Duration",
        Dimensions=DIMENSIONS,
        StartTime=T0,
        EndTime=T0 + 120,
        Period=60,
        Statistics=["SampleCount", "Maximum"],
        ExtendedStatistics=["p99", "p50"],
    )
    assert answer["Label"] == "Duration"
    assert answer["Datapoints"] == [
        {
            "Timestamp": at(0),
            "SampleCount": 100.0,
            "Maximum": 100.0,
            "ExtendedStatistics": {"p99": 99.0, "p50": 50.0},
            "Unit": "Milliseconds",
        },
        {
            "Timestamp": at(60),
            "SampleCount": 1.0,
            "Maximum": 7.0,
            "ExtendedStatistics": {"p99": 7.0, "p50": 7.0},
            "Unit": "Milliseconds",
        },
    ]


def test_get_metric_data_answers_a_percentile_with_aws_labels_and_messages() -> None:
    answer = cloudwatch(
        api(),
        "GetMetricData",
        MetricDataQueries=[stat("p", DURATION, "p99"), stat("e", ERRORS, "Sum")],
        StartTime=T0,
        EndTime=T0 + 120,
    )
    assert answer["Messages"] == []
    assert answer["MetricDataResults"] == [
        {
            "Id": "p",
            "Label": "Duration p99",  # two statistics in the request: the stat is named
            "Timestamps": [at(60), at(0)],  # TimestampDescending
            "Values": [7.0, 99.0],
            "StatusCode": "Complete",
        },
        {
            "Id": "e",
            "Label": "Errors Sum",
            "Timestamps": [at(60)],
            "Values": [2.0],
            "StatusCode": "Complete",
        },
    ]


def test_get_metric_data_labels_a_lone_statistic_with_the_metric_name() -> None:
    answer = cloudwatch(
        api(),
        "GetMetricData",
        MetricDataQueries=[stat("e", ERRORS, "Sum"), stat("x", ERRORS, "Sum", Label="mine")],
        StartTime=T0,
        EndTime=T0 + 120,
    )
    assert [r["Label"] for r in answer["MetricDataResults"]] == ["Errors", "mine"]


def test_timestamps_are_period_starts_from_the_rounded_start_time() -> None:
    answer = cloudwatch(
        api(),
        "GetMetricData",
        MetricDataQueries=[stat("e", ERRORS, "SampleCount", period=300)],
        StartTime=T0 + 34,  # rounded down to the minute: T0
        EndTime=T0 + 600,
        ScanBy="TimestampAscending",
    )
    (result,) = answer["MetricDataResults"]
    assert result["Timestamps"] == [at(0)]
    assert result["Values"] == [3.0]
    assert result["Label"] == "Errors"


def test_metrics_the_store_does_not_hold_go_on_to_the_emulator() -> None:
    params = {
        "Namespace": "Mine",
        "MetricName": "M",
        "StartTime": T0,
        "EndTime": T0 + 60,
        "Period": 60,
        "Statistics": ["Sum"],
    }
    assert api()(parse(raw_call("GetMetricStatistics", params))) is None
    assert api()(parse(raw_call("PutMetricData", {"Namespace": "Mine"}))) is None
