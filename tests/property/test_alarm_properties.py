"""Hypothesis properties of alarm evaluation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localenv.observe.alarms import Alarm, datapoints_of, evaluate, statistic
from localenv.observe.metrics import MetricKey, MetricStore

ERRORS = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
REJECTED = MetricKey.of("DataProc", "RejectedTokens", {"service": "authorizer"})

windows = st.lists(st.lists(st.floats(0, 100, allow_nan=False), max_size=5), min_size=1, max_size=6)


def alarm(n: int, m: int, treat: str, threshold: float) -> Alarm:
    return Alarm.from_api(
        {
            "AlarmName": "a",
            "AlarmArn": "arn",
            "Namespace": "N",
            "MetricName": "M",
            "Statistic": "Maximum",
            "Period": 60,
            "EvaluationPeriods": n,
            "DatapointsToAlarm": m,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": treat,
        }
    )


@given(windows, st.floats(0, 100), st.sampled_from(["breaching", "notBreaching"]), st.data())
def test_alarm_exactly_when_m_periods_breach(
    periods: list[list[float]], threshold: float, treat: str, data: st.DataObject
) -> None:
    n = len(periods)
    m = data.draw(st.integers(1, n))
    breaching = sum(1 for p in periods if (max(p) > threshold if p else treat == "breaching"))
    outcome = evaluate(alarm(n, m, treat, threshold), periods, "OK")
    assert outcome.state == ("ALARM" if breaching >= m else "OK")


@given(windows, st.sampled_from(["ALARM", "OK", "INSUFFICIENT_DATA"]))
def test_ignore_never_changes_state_without_data(periods: list[list[float]], current: str) -> None:
    empty = [[] for _ in periods]
    assert evaluate(alarm(len(periods), 1, "ignore", 1), empty, current).state == current


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_percentiles_are_samples_and_ordered(samples: list[float]) -> None:
    p50, p99 = statistic("p50", samples), statistic("p99", samples)
    assert p50 in samples and p99 in samples
    assert min(samples) <= p50 <= p99 <= max(samples)


def samples_in_minutes(periods: list[list[float]], key: MetricKey) -> MetricStore:
    """Period i (newest first) of ``periods`` as samples in the i-th minute before 600 s."""
    store = MetricStore()
    for index, samples in enumerate(periods):
        for offset, value in enumerate(samples):
            store.add(key, 600.0 - 60 * (index + 1) + offset, value)
    return store


@given(windows, windows)
def test_errors_minus_filled_rejections_is_the_difference_per_period(
    errors: list[list[float]], rejected: list[list[float]]
) -> None:
    n = min(len(errors), len(rejected))
    errors, rejected = errors[:n], rejected[:n]
    store = samples_in_minutes(errors, ERRORS)
    for key, value in samples_in_minutes(rejected, REJECTED).series.items():
        for when, sample in value:
            store.add(key, when, sample)
    metric = {"Period": 60, "Stat": "Sum"}
    math_alarm = Alarm.from_api(
        {
            "AlarmName": "m",
            "AlarmArn": "arn",
            "Metrics": [
                {
                    "Id": "e",
                    "MetricStat": {"Metric": metric_of(ERRORS), **metric},
                    "ReturnData": False,
                },
                {
                    "Id": "r",
                    "MetricStat": {"Metric": metric_of(REJECTED), **metric},
                    "ReturnData": False,
                },
                {"Id": "f", "Expression": "e - FILL(r, 0)"},
            ],
            "EvaluationPeriods": n,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        }
    )
    expected = [(sum(e) - sum(r)) if e else None for e, r in zip(errors, rejected, strict=True)]
    got = datapoints_of(math_alarm, store, 600.0)
    assert got == pytest.approx(expected)


def metric_of(key: MetricKey) -> dict[str, object]:
    dims = [{"Name": k, "Value": v} for k, v in key.dimensions]
    return {"Namespace": key.namespace, "MetricName": key.name, "Dimensions": dims}
