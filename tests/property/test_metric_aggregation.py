"""Datapoints sent as Values/Counts keep every value, count, metric and minute."""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
from hypothesis import given
from hypothesis import strategies as st
from moto import mock_aws

from localenv.observe.metrics import DATUM_MAX_VALUES, PUT_MAX_DATUMS, aggregate

BASE = 1_800_000_000.0
points = st.builds(
    lambda name, unit, dims, offset, value: {
        "MetricName": name,
        "Value": value,
        "Unit": unit,
        "Timestamp": BASE + offset,
        "Dimensions": [{"Name": "FunctionName", "Value": f} for f in dims],
    },
    st.sampled_from(["Invocations", "Duration"]),
    st.sampled_from(["Count", "Milliseconds"]),
    st.lists(st.sampled_from(["a", "b"]), max_size=1),
    st.floats(0, 300),
    st.one_of(st.integers(0, 3).map(float), st.floats(0, 1e6, allow_nan=False)),
)


def expanded(point: dict[str, Any]) -> list[tuple[Any, ...]]:
    dims = tuple((d["Name"], d["Value"]) for d in point["Dimensions"])
    key = (point["MetricName"], point["Unit"], dims, int(point["Timestamp"] // 60))
    if "Values" not in point:
        return [(*key, point["Value"])]
    return [
        (*key, value)
        for value, count in zip(point["Values"], point["Counts"], strict=True)
        for _ in range(count)
    ]


@given(st.lists(points, max_size=400))
def test_every_value_is_kept_in_its_metric_and_minute(data: list[dict[str, Any]]) -> None:
    calls = aggregate(data)
    sent = [datum for call in calls for datum in call]
    assert Counter(x for d in sent for x in expanded(d)) == Counter(
        x for d in data for x in expanded(d)
    )
    assert all(len(call) <= PUT_MAX_DATUMS for call in calls)
    assert all(len(d["Values"]) <= DATUM_MAX_VALUES for d in sent)
    assert all(len(set(d["Values"])) == len(d["Values"]) for d in sent)


def test_many_distinct_values_are_split_at_the_per_metric_limit() -> None:
    data = [
        {
            "MetricName": "Duration",
            "Value": float(n),
            "Unit": "Milliseconds",
            "Timestamp": BASE,
            "Dimensions": [],
        }
        for n in range(DATUM_MAX_VALUES + 1)
    ]
    [call] = aggregate(data)
    assert [len(d["Values"]) for d in call] == [DATUM_MAX_VALUES, 1]


@mock_aws
def test_cloudwatch_keeps_the_same_statistics() -> None:
    cloudwatch: Any = boto3.client("cloudwatch", region_name="us-east-1")
    data = [
        {
            "MetricName": name,
            "Value": value,
            "Unit": "Count",
            "Timestamp": BASE + n,
            "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        }
        for n, value in enumerate([1.0, 1.0, 0.0, 1.0, 5.0])
        for name in ("Sent", "Aggregated")
    ]
    for point in data[::2]:
        cloudwatch.put_metric_data(Namespace="N", MetricData=[point])
    for call in aggregate(data[1::2]):
        cloudwatch.put_metric_data(Namespace="N", MetricData=call)

    def statistics(name: str) -> list[dict[str, Any]]:
        answer = cloudwatch.get_metric_statistics(
            Namespace="N",
            MetricName=name,
            Dimensions=[{"Name": "FunctionName", "Value": "f"}],
            StartTime=BASE - 60,
            EndTime=BASE + 120,
            Period=60,
            Statistics=["Sum", "SampleCount", "Minimum", "Maximum", "Average"],
        )
        return [{k: v for k, v in p.items() if k != "Timestamp"} for p in answer["Datapoints"]]

    assert statistics("Aggregated") == statistics("Sent")
    assert statistics("Sent")[0]["SampleCount"] == 5.0
