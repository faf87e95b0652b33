"""CloudWatch metric alarm evaluation, with CloudWatch's semantics, on a drivable clock.

Pure: ``evaluate`` takes an alarm's definition, the samples of each of its last
``EvaluationPeriods`` complete periods, and the current state, and returns the
new state with AWS's reason. The engine (``alarm_engine``) runs it on the stack's
alarms.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from localenv.observe.alarm_reasons import Evaluated, no_data_reason, threshold_reason
from localenv.observe.metric_expression import MetricMathError
from localenv.observe.metric_math import (
    MetricMath,
    MetricStat,
    Series,
    percentile,
    statistic,
)
from localenv.observe.metrics import MetricKey, MetricStore

__all__ = ["Alarm", "evaluate", "judge", "percentile", "periods_of", "statistic"]

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}


class AlarmDefinitionError(ValueError):
    """An alarm the local evaluator cannot evaluate (anomaly detection, unsupported math)."""


@dataclass(frozen=True)
class Alarm:
    name: str
    arn: str
    description: str
    key: MetricKey | None  # None for a metric-math alarm
    statistic: str  # "Sum", "Average", ... or "p99"
    extended: bool
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    threshold: float
    comparison: str
    treat_missing: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...] = ()
    ok_actions: tuple[str, ...] = ()
    insufficient_actions: tuple[str, ...] = ()
    unit: str | None = None
    math: MetricMath | None = None
    metrics: tuple[dict[str, Any], ...] = ()  # the Metrics as DescribeAlarms returns them
    explicit_datapoints_to_alarm: bool = False  # DatapointsToAlarm set, not defaulted
    configured_at: float | None = None  # AlarmConfigurationUpdatedTimestamp

    @classmethod
    def from_api(cls, raw: dict[str, Any]) -> Alarm:
        name = raw["AlarmName"]
        if raw.get("ThresholdMetricId"):
            raise AlarmDefinitionError(f"{name}: anomaly detection is not evaluated locally")
        if raw["ComparisonOperator"] not in COMPARE:
            raise AlarmDefinitionError(f"{name}: {raw['ComparisonOperator']}")
        try:
            return cls.of_math(raw) if raw.get("Metrics") else cls.of_metric(raw)
        except MetricMathError as exc:
            raise AlarmDefinitionError(f"{name}: {exc}") from exc

    @classmethod
    def of_metric(cls, raw: dict[str, Any]) -> Alarm:
        dims = {d["Name"]: d["Value"] for d in raw.get("Dimensions", [])}
        extended = raw.get("ExtendedStatistic")
        statistic(extended or raw["Statistic"], [0.0])  # refuses an unknown statistic now
        return cls.common(
            raw,
            key=MetricKey.of(raw["Namespace"], raw["MetricName"], dims),
            statistic=extended or raw["Statistic"],
            extended=bool(extended),
            period=int(raw["Period"]),
        )

    @classmethod
    def of_math(cls, raw: dict[str, Any]) -> Alarm:
        math_ = MetricMath.from_api(raw["Metrics"])
        return cls.common(
            raw,
            key=None,
            statistic="",
            extended=False,
            period=math_.period,
            math=math_,
            metrics=tuple(raw["Metrics"]),
        )

    @classmethod
    def common(cls, raw: dict[str, Any], **what: Any) -> Alarm:
        return cls(
            name=raw["AlarmName"],
            arn=raw["AlarmArn"],
            description=raw.get("AlarmDescription", ""),
            **what,
            evaluation_periods=int(raw["EvaluationPeriods"]),
            datapoints_to_alarm=int(raw.get("DatapointsToAlarm") or raw["EvaluationPeriods"]),
            threshold=float(raw["Threshold"]),
            comparison=raw["ComparisonOperator"],
            treat_missing=raw.get("TreatMissingData", "missing"),
            actions_enabled=bool(raw.get("ActionsEnabled", True)),
            alarm_actions=tuple(raw.get("AlarmActions", [])),
            ok_actions=tuple(raw.get("OKActions", [])),
            insufficient_actions=tuple(raw.get("InsufficientDataActions", [])),
            unit=raw.get("Unit"),
            explicit_datapoints_to_alarm=raw.get("DatapointsToAlarm") is not None,
            configured_at=epoch_of(raw.get("AlarmConfigurationUpdatedTimestamp")),
        )


def epoch_of(value: Any) -> float | None:
    """A timestamp DescribeAlarms returned (botocore parses it to a datetime)."""
    return value.timestamp() if hasattr(value, "timestamp") else None


@dataclass
class Outcome:
    state: str
    reason: str
    datapoints: list[float | None] = field(default_factory=list)
    points: list[Evaluated] = field(default_factory=list)


def evaluate(alarm: Alarm, periods: Sequence[Sequence[float]], current: str) -> Outcome:
    """The alarm's state over its last periods (newest first; an empty one is missing data)."""
    values = [statistic(alarm.statistic, s) if s else None for s in periods]
    return judge(alarm, values, current, counts=[len(s) for s in periods])


def judge(
    alarm: Alarm,
    datapoints: Sequence[float | None],
    current: str,
    end: float = 0.0,
    counts: Sequence[int] | None = None,
) -> Outcome:
    """The alarm's state from its last datapoints (newest first; None is missing data), the
    last period ending at ``end``."""
    values = list(datapoints)
    points = evaluated_points(alarm, values, end, counts)
    present = [p for p in points if p.value is not None]
    breaching = sum(1 for p in present if p.breaching)
    missing = len(values) - len(present)
    treat = alarm.treat_missing
    if treat == "breaching":
        breaching += missing
    if not present and treat in {"missing", "ignore"}:
        # No data at all: "missing" -> INSUFFICIENT_DATA; "ignore" keeps the current state.
        state = "INSUFFICIENT_DATA" if treat == "missing" else current
        return Outcome(state, no_data_reason(alarm), values, points)
    state = "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"
    return Outcome(state, threshold_reason(alarm, points, state), values, points)


def evaluated_points(
    alarm: Alarm, values: list[float | None], end: float, counts: Sequence[int] | None
) -> list[Evaluated]:
    compare = COMPARE[alarm.comparison]
    return [
        Evaluated(
            start=end - (i + 1) * alarm.period,
            value=v,
            samples=counts[i] if counts is not None and v is not None else None,
            breaching=v is not None and compare(v, alarm.threshold),
        )
        for i, v in enumerate(values)
    ]


def periods_of(
    alarm: Alarm, store: MetricStore, now: float, key: MetricKey | None = None
) -> list[list[float]]:
    """Samples of the last EvaluationPeriods complete periods, newest first."""
    end = math.floor(now / alarm.period) * alarm.period
    key = key or alarm.key
    assert key is not None  # a metric alarm has a key; metric math passes one
    return [
        store.samples(key, end - (i + 1) * alarm.period, end - i * alarm.period)
        for i in range(alarm.evaluation_periods)
    ]


def datapoints_of(alarm: Alarm, store: MetricStore, now: float) -> list[float | None]:
    """The alarm's datapoints for its last periods: the metric's statistic, or the math's result."""
    if alarm.math is None:
        return [statistic(alarm.statistic, s) if s else None for s in periods_of(alarm, store, now)]

    def fetch(stat: MetricStat) -> Series:
        periods = periods_of(alarm, store, now, stat.key)
        return tuple(statistic(stat.stat, s) if s else None for s in periods)

    result = alarm.math.evaluate(fetch)
    assert isinstance(result, tuple)  # MetricMath.from_api checked it is a series
    return list(result)
