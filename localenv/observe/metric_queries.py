"""GetMetricStatistics and GetMetricData over the harness's metric store (pure: no I/O).

The store keeps every sample, so percentiles (``p99``) are computed exactly as the
alarms compute them, and read back the way AWS answers:
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from localenv.observe.metric_math import statistic
from localenv.observe.metrics import MetricKey, MetricStore

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
PERCENTILE = re.compile(r"p\d{1,2}(\.\d+)?|p100")
DAY = 24 * 3600


class MetricQueryError(ValueError):
    """A query the local store does not answer (the emulator answers it instead)."""


def rounded_start(start: float, now: float) -> float:
    """AWS rounds StartTime down: to the minute under 15 days old, to 5 minutes under 63
    days, else to the hour, and datapoints start there (API_GetMetricData.html, StartTime)."""
    age = now - start
    step = 60 if age < 15 * DAY else 300 if age < 63 * DAY else 3600
    return math.floor(start / step) * step


def buckets(
    store: MetricStore, key: MetricKey, start: float, end: float, period: int
) -> dict[float, list[float]]:
    """Samples of [start, end) by the start of their period, periods counted from start."""
    found: dict[float, list[float]] = defaultdict(list)
    for timestamp, value in store.timed(key, start, end):
        found[start + math.floor((timestamp - start) / period) * period].append(value)
    return found


def key_of(metric: dict[str, Any]) -> MetricKey:
    dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions") or []}
    return MetricKey.of(metric["Namespace"], metric["MetricName"], dims)


# ------------------------------------------------------------------ GetMetricStatistics
@dataclass(frozen=True)
class StatisticsRequest:
    key: MetricKey
    start: float
    end: float
    period: int
    statistics: tuple[str, ...]
    extended: tuple[str, ...]
    unit: str | None

    @classmethod
    def of(cls, params: dict[str, Any], times: tuple[float, float]) -> StatisticsRequest:
        extended = tuple(params.get("ExtendedStatistics") or ())
        unknown = [e for e in extended if not PERCENTILE.fullmatch(e)]
        if unknown:  # tm99, wm99, PR(...), TC(...), TS(...): not computed locally
            raise MetricQueryError(f"extended statistics {unknown} are not computed locally")
        return cls(
            key_of(params),
            times[0],
            times[1],
            int(params["Period"]),
            tuple(params.get("Statistics") or ()),
            extended,
            params.get("Unit"),
        )


def metric_statistics(store: MetricStore, request: StatisticsRequest) -> dict[str, Any]:
    """The GetMetricStatistics answer: one datapoint per period with data, each with the
    statistics asked for, percentiles under ExtendedStatistics, and the metric's unit
    (recorded: test_cloudwatch.snapshot.json, "get_metric_statistics")."""
    unit = store.unit(request.key)
    if request.unit is not None and request.unit != unit:
        return {"Label": request.key.name, "Datapoints": []}
    found = buckets(store, request.key, request.start, request.end, request.period)
    return {
        "Label": request.key.name,
        "Datapoints": [datapoint(request, when, found[when], unit) for when in sorted(found)],
    }


def datapoint(
    request: StatisticsRequest, when: float, samples: list[float], unit: str
) -> dict[str, Any]:
    point: dict[str, Any] = {"Timestamp": when}
    for name in request.statistics:
        point[name] = statistic(name, samples)
    if request.extended:
        point["ExtendedStatistics"] = {e: statistic(e, samples) for e in request.extended}
    point["Unit"] = unit
    return point


# ------------------------------------------------------------------ GetMetricData
@dataclass(frozen=True)
class StatQuery:
    id: str
    key: MetricKey
    period: int
    stat: str
    unit: str | None
    label: str | None
    return_data: bool

    @classmethod
    def of(cls, raw: dict[str, Any]) -> StatQuery:
        if "MetricStat" not in raw or "Expression" in raw or "AccountId" in raw:
            raise MetricQueryError(f"query {raw.get('Id')}: only MetricStat is answered locally")
        stat = raw["MetricStat"]
        if stat["Stat"] not in STATISTICS and not PERCENTILE.fullmatch(stat["Stat"]):
            raise MetricQueryError(f"statistic {stat['Stat']} is not computed locally")
        return cls(
            raw["Id"],
            key_of(stat["Metric"]),
            int(stat["Period"]),
            stat["Stat"],
            stat.get("Unit"),
            raw.get("Label"),
            bool(raw.get("ReturnData", True)),
        )


def labels(queries: Sequence[StatQuery]) -> dict[str, str]:
    """AWS labels a result with the metric's name, adding the statistic only when the
    request mixes statistics and the period only when it mixes periods (recorded:
    test_cloudwatch.snapshot.json, "test_label_generation[input_pairs0..6]")."""
    stats = {q.stat for q in queries}
    periods = {q.period for q in queries}
    found = {}
    for q in queries:
        words = [q.key.name]
        words += [q.stat] if len(stats) > 1 else []
        words += [str(q.period)] if len(periods) > 1 else []
        found[q.id] = q.label if q.label is not None else " ".join(words)
    return found


def metric_data(
    store: MetricStore,
    queries: Sequence[StatQuery],
    times: tuple[float, float],
    newest_first: bool,
) -> dict[str, Any]:
    """The GetMetricData answer: per query, the periods with data (timestamps at period
    starts, TimestampDescending unless asked otherwise), StatusCode Complete, and the
    top-level Messages list (recorded: test_cloudwatch.snapshot.json, "get_metric_data")."""
    named = labels(queries)
    results = [result(store, q, named[q.id], times, newest_first) for q in queries if q.return_data]
    return {"MetricDataResults": results, "Messages": []}


def result(
    store: MetricStore,
    query: StatQuery,
    label: str,
    times: tuple[float, float],
    newest_first: bool,
) -> dict[str, Any]:
    found: dict[float, list[float]] = {}
    if query.unit is None or query.unit == store.unit(query.key):
        found = buckets(store, query.key, times[0], times[1], query.period)
    order = sorted(found, reverse=newest_first)
    return {
        "Id": query.id,
        "Label": label,
        "Timestamps": order,
        "Values": [statistic(query.stat, found[when]) for when in order],
        "StatusCode": "Complete",
    }
