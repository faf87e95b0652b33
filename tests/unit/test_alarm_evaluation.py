"""The alarm evaluator against hand-computed windows (pure: no emulator)."""

from __future__ import annotations

from typing import Any

import pytest

from localenv.observe.alarms import Alarm, evaluate, percentile, periods_of, statistic
from localenv.observe.metrics import MetricKey, MetricStore


def alarm(**overrides: Any) -> Alarm:
    raw = {
        "AlarmName": "a",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:a",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 3,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "missing",
    }
    raw.update(overrides)
    return Alarm.from_api({k: v for k, v in raw.items() if v is not None})


def test_m_out_of_n() -> None:
    two_of_three = alarm(DatapointsToAlarm=2)
    assert evaluate(two_of_three, [[1], [0], [2]], "OK").state == "ALARM"
    assert evaluate(two_of_three, [[1], [0], [0]], "OK").state == "OK"
    assert evaluate(alarm(), [[1], [1], [0]], "OK").state == "OK"  # M defaults to N
    assert evaluate(alarm(), [[1], [1], [1]], "OK").state == "ALARM"


@pytest.mark.parametrize(
    ("treat", "current", "expected"),
    [
        ("breaching", "OK", "ALARM"),
        ("notBreaching", "ALARM", "OK"),
        ("missing", "OK", "INSUFFICIENT_DATA"),
        ("ignore", "ALARM", "ALARM"),
        ("ignore", "OK", "OK"),
    ],
)
def test_treat_missing_data_with_no_data(treat: str, current: str, expected: str) -> None:
    assert evaluate(alarm(TreatMissingData=treat), [[], [], []], current).state == expected


def test_missing_periods_count_as_breaching_or_not() -> None:
    assert evaluate(alarm(TreatMissingData="breaching"), [[1], [], []], "OK").state == "ALARM"
    assert evaluate(alarm(TreatMissingData="notBreaching"), [[1], [], []], "OK").state == "OK"


@pytest.mark.parametrize(
    ("name", "samples", "value"),
    [
        ("Sum", [1, 2, 3], 6),
        ("Average", [1, 2, 3], 2),
        ("Minimum", [3, 1], 1),
        ("Maximum", [3, 1], 3),
        ("SampleCount", [5, 5, 5], 3),
        ("p50", [1, 2, 3, 4], 2),
        ("p99", list(range(1, 101)), 99),
        ("p100", [7, 9], 9),
    ],
)
def test_statistics(name: str, samples: list[float], value: float) -> None:
    assert statistic(name, samples) == value


def test_comparisons_are_strict_or_not_as_named() -> None:
    assert (
        evaluate(
            alarm(ComparisonOperator="GreaterThanThreshold", EvaluationPeriods=1), [[1]], "OK"
        ).state
        == "OK"
    )
    assert (
        evaluate(
            alarm(ComparisonOperator="LessThanThreshold", EvaluationPeriods=1), [[0]], "OK"
        ).state
        == "ALARM"
    )
    assert (
        evaluate(
            alarm(ComparisonOperator="LessThanOrEqualToThreshold", EvaluationPeriods=1), [[1]], "OK"
        ).state
        == "ALARM"
    )


def test_extended_statistic_p99_over_a_window() -> None:
    p99 = alarm(
        Statistic=None,
        ExtendedStatistic="p99",
        Threshold=500,
        ComparisonOperator="GreaterThanThreshold",
        EvaluationPeriods=1,
    )
    fast = [[10.0] * 99 + [900.0]]
    slow = [[10.0] * 98 + [900.0, 950.0]]
    assert evaluate(p99, fast, "OK").state == "OK"  # 1 in 100 is the 100th percentile
    assert evaluate(p99, slow, "OK").state == "ALARM"


def test_periods_are_complete_aligned_windows_and_dimensions_match_exactly() -> None:
    store = MetricStore()
    key = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
    store.add(key, 119.0, 1)  # period [60, 120)
    store.add(key, 120.0, 5)  # period [120, 180): not complete at 150
    store.add(MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "g"}), 100.0, 7)
    assert periods_of(alarm(), store, now=150.0) == [[1], [], []]
    assert periods_of(alarm(), store, now=180.0) == [[5], [1], []]


def test_reason_names_the_datapoints_and_threshold() -> None:
    outcome = evaluate(alarm(EvaluationPeriods=1), [[2, 1]], "OK")
    assert outcome.reason.startswith("Threshold Crossed: 1 datapoint [3.0 (")
    assert outcome.reason.endswith("the threshold (1.0).")


def test_percentile_nearest_rank() -> None:
    assert percentile([5, 1, 3], 50) == 3
    assert percentile([1], 99) == 1


def test_store_keeps_one_day_of_samples() -> None:
    store = MetricStore()
    key = MetricKey.of("N", "M", {})
    store.add(key, 0.0, 1)
    store.add(key, 100.0, 2)
    store.add(key, 24 * 3600 + 50.0, 3)
    assert store.samples(key, 0, 10**9) == [2, 3]
