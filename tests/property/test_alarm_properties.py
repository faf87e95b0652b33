"""Hypothesis properties of alarm evaluation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from localenv.observe.alarms import Alarm, evaluate, statistic

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
