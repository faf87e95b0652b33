"""CloudWatch metric alarm evaluation, with CloudWatch's semantics, on a drivable clock.

The pure part (``evaluate``) takes an alarm's definition, the samples of each of
its last ``EvaluationPeriods`` complete periods, and the current state, and
returns the new state with a reason. The engine reads alarms from the
emulator, evaluates them against the metric store, records state changes in the
emulator (``SetAlarmState``) and sends AlarmActions/OKActions to SNS.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from localenv.observe.alarm_messages import iso, notification
from localenv.observe.clock import Clock
from localenv.observe.metric_expression import MetricMathError
from localenv.observe.metric_math import (
    MetricMath,
    MetricStat,
    Series,
    percentile,
    statistic,
)
from localenv.observe.metrics import MetricKey, MetricStore

__all__ = ["Alarm", "AlarmEngine", "evaluate", "judge", "percentile", "periods_of", "statistic"]

COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
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
        )


@dataclass
class Outcome:
    state: str
    reason: str
    datapoints: list[float | None] = field(default_factory=list)


def evaluate(alarm: Alarm, periods: Sequence[Sequence[float]], current: str) -> Outcome:
    """The alarm's state over its last periods (newest first; an empty one is missing data)."""
    return judge(alarm, [statistic(alarm.statistic, s) if s else None for s in periods], current)


def judge(alarm: Alarm, datapoints: Sequence[float | None], current: str) -> Outcome:
    """The alarm's state from its last datapoints (newest first; None is missing data)."""
    values = list(datapoints)
    compare = COMPARE[alarm.comparison]
    present = [v for v in values if v is not None]
    breaching = sum(1 for v in present if compare(v, alarm.threshold))
    missing = len(values) - len(present)
    treat = alarm.treat_missing
    if treat == "breaching":
        breaching += missing
    if not present and treat in {"missing", "ignore"}:
        # No data at all: "missing" -> INSUFFICIENT_DATA; "ignore" keeps the current state.
        state = "INSUFFICIENT_DATA" if treat == "missing" else current
        return Outcome(state, no_data_reason(alarm), values)
    state = "ALARM" if breaching >= alarm.datapoints_to_alarm else "OK"
    return Outcome(state, threshold_reason(alarm, values, breaching, state), values)


def no_data_reason(alarm: Alarm) -> str:
    return f"Insufficient Data: {alarm.evaluation_periods} datapoints were unknown."


def threshold_reason(alarm: Alarm, values: list[float | None], breaching: int, state: str) -> str:
    shown = ", ".join("missing" if v is None else f"{v:g}" for v in values)
    verb = "were" if breaching != 1 else "was"
    word = WORDS[alarm.comparison]
    if state == "ALARM":
        return (
            f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints [{shown}] "
            f"{verb} {word} the threshold ({alarm.threshold:g}) (minimum "
            f"{alarm.datapoints_to_alarm} datapoints for OK -> ALARM transition)."
        )
    return (
        f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints [{shown}] "
        f"{verb} {word} the threshold ({alarm.threshold:g}) (fewer than "
        f"{alarm.datapoints_to_alarm} datapoints for ALARM)."
    )


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


@dataclass
class Change:
    alarm: str
    old: str
    new: str
    reason: str


class AlarmEngine:
    def __init__(
        self,
        cloudwatch: Any,
        store: MetricStore,
        clock: Clock,
        publish: Callable[[str, str, dict[str, Any]], None],
        account: str,
        region: str,
        names: Callable[[], list[str]],
        cloudwatch_lock: threading.Lock,
    ):
        self.cloudwatch = cloudwatch
        # The stack's own alarms only: an emulator may hold other stacks' alarms too.
        self.names = names
        # One CloudWatch call at a time from the harness: moto's backend is not thread-safe.
        self.cloudwatch_lock = cloudwatch_lock
        self.store = store
        self.clock = clock
        self.publish = publish
        self.account = account
        self.region = region
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def evaluate_all(self) -> list[Change]:
        with self.lock:
            now = self.clock.now()
            changes = []
            names = self.names()
            for start in range(0, len(names), 100):  # DescribeAlarms takes 100 names a call
                with self.cloudwatch_lock:
                    found = self.cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])
                for raw in found["MetricAlarms"]:
                    change = self.evaluate_one(raw, now)
                    if change is not None:
                        changes.append(change)
            return changes

    def evaluate_one(self, raw: dict[str, Any], now: float) -> Change | None:
        alarm = Alarm.from_api(raw)
        old = raw.get("StateValue", "INSUFFICIENT_DATA")
        outcome = judge(alarm, datapoints_of(alarm, self.store, now), old)
        if outcome.state == old:
            return None
        with self.cloudwatch_lock:
            self.cloudwatch.set_alarm_state(
                AlarmName=alarm.name,
                StateValue=outcome.state,
                StateReason=outcome.reason[:1023],
                StateReasonData=json.dumps(
                    {
                        "version": "1.0",
                        "queryDate": iso(now),
                        "recentDatapoints": outcome.datapoints,
                        "threshold": alarm.threshold,
                    }
                ),
            )
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_actions,
        }[outcome.state]
        if alarm.actions_enabled:
            message = notification(alarm, old, outcome, now, self.account, self.region)
            subject = f'{outcome.state}: "{alarm.name}" in {message["Region"]}'[:100]
            for arn in actions:
                if ":sns:" in arn:
                    self.publish(arn, subject, message)
        return Change(alarm.name, old, outcome.state, outcome.reason)

    def run(self, interval: float) -> None:
        while not self.stopping.wait(interval):
            try:
                self.evaluate_all()
            except Exception as exc:
                print(f"localenv: alarm evaluation failed: {exc}", flush=True)

    def start(self, interval: float) -> None:
        threading.Thread(target=self.run, args=(interval,), daemon=True).start()

    def stop(self) -> None:
        self.stopping.set()
