"""Metrics as AWS names them, kept for alarm evaluation and sent to the emulator's CloudWatch.

AWS/Lambda: Invocations, Errors, Throttles, Duration, ConcurrentExecutions
(dimension FunctionName). AWS/ApiGateway: Count, 4XXError, 5XXError, Latency,
IntegrationLatency (dimensions ApiName, Stage). Embedded Metric Format lines in
function output become metrics in their own namespace, as CloudWatch does.
"""

from __future__ import annotations

import bisect
import json
import queue
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from localenv.daemon import DaemonWorker
from localenv.observe.clock import Clock
from localenv.runtime.environment import OutcomeKind

Dimensions = tuple[tuple[str, str], ...]
PUT_BATCH = 500  # gathered per namespace before a flush
# PutMetricData: up to 1,000 metrics per call, up to 150 values per metric (Values/Counts).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
PUT_MAX_DATUMS = 1000
DATUM_MAX_VALUES = 150
FLUSH_SECONDS = 1.0
RETENTION_SECONDS = 24 * 3600


@dataclass(frozen=True)
class MetricKey:
    namespace: str
    name: str
    dimensions: Dimensions

    @classmethod
    def of(cls, namespace: str, name: str, dimensions: dict[str, str]) -> MetricKey:
        return cls(namespace, name, tuple(sorted(dimensions.items())))


class MetricStore:
    """Every sample, by metric, sorted by time (percentiles need the samples)."""

    def __init__(self) -> None:
        self.series: dict[MetricKey, list[tuple[float, float]]] = defaultdict(list)
        self.units: dict[MetricKey, str] = {}
        self.lock = threading.Lock()

    def add(self, key: MetricKey, timestamp: float, value: float, unit: str = "None") -> None:
        with self.lock:
            self.units[key] = unit
            series = self.series[key]
            bisect.insort(series, (timestamp, value))
            # Alarms look back at most a day (EvaluationPeriods x Period): keep no more.
            if series[0][0] < timestamp - RETENTION_SECONDS:
                del series[: bisect.bisect_left(series, (timestamp - RETENTION_SECONDS,))]

    def samples(self, key: MetricKey, start: float, end: float) -> list[float]:
        return [value for _, value in self.timed(key, start, end)]

    def timed(self, key: MetricKey, start: float, end: float) -> list[tuple[float, float]]:
        """(timestamp, value) of the samples in [start, end), oldest first."""
        with self.lock:
            series = self.series.get(key, [])
            lo = bisect.bisect_left(series, (start, float("-inf")))
            hi = bisect.bisect_left(series, (end, float("-inf")))
            return series[lo:hi]

    def unit(self, key: MetricKey) -> str:
        with self.lock:
            return self.units.get(key, "None")

    def namespaces(self) -> set[str]:
        with self.lock:
            return {k.namespace for k in self.series}

    def find(
        self, name: str, namespace: str | None = None
    ) -> dict[MetricKey, list[tuple[float, float]]]:
        with self.lock:
            return {
                k: list(v)
                for k, v in self.series.items()
                if k.name == name and (namespace is None or k.namespace == namespace)
            }


class MetricPublisher(DaemonWorker):
    """Records into the store at once; ``start()`` starts the thread that forwards the
    datapoints to CloudWatch (PutMetricData), ``stop()`` ends it; a context manager."""

    def __init__(
        self, store: MetricStore, cloudwatch: Any, clock: Clock, cloudwatch_lock: threading.Lock
    ):
        self.store = store
        self.cloudwatch = cloudwatch
        self.cloudwatch_lock = cloudwatch_lock
        self.clock = clock
        self.outbox: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue()

    def record(
        self, namespace: str, name: str, value: float, unit: str, dimensions: dict[str, str]
    ) -> None:
        timestamp = self.clock.now()
        self.store.add(MetricKey.of(namespace, name, dimensions), timestamp, value, unit)
        self.outbox.put(
            (
                namespace,
                {
                    "MetricName": name,
                    "Value": value,
                    "Unit": unit,
                    "Timestamp": timestamp,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in sorted(dimensions.items())],
                },
            )
        )

    def lambda_invocation(
        self, function: str, kind: OutcomeKind, duration_ms: float, concurrent: int
    ) -> None:
        dims = {"FunctionName": function}
        self.record("AWS/Lambda", "Invocations", 1, "Count", dims)
        # Errors counts function errors and timeouts (and crashes), as Lambda does.
        self.record("AWS/Lambda", "Errors", 0 if kind is OutcomeKind.OK else 1, "Count", dims)
        self.record("AWS/Lambda", "Duration", duration_ms, "Milliseconds", dims)
        self.record("AWS/Lambda", "ConcurrentExecutions", concurrent, "Count", dims)

    def lambda_throttle(self, function: str) -> None:
        self.record("AWS/Lambda", "Throttles", 1, "Count", {"FunctionName": function})

    def api_request(
        self,
        api_name: str,
        stage: str,
        status: int,
        latency_ms: float,
        integration_ms: float | None,
    ) -> None:
        dims = {"ApiName": api_name, "Stage": stage}
        self.record("AWS/ApiGateway", "Count", 1, "Count", dims)
        self.record("AWS/ApiGateway", "4XXError", int(400 <= status < 500), "Count", dims)
        self.record("AWS/ApiGateway", "5XXError", int(status >= 500), "Count", dims)
        self.record("AWS/ApiGateway", "Latency", latency_ms, "Milliseconds", dims)
        if integration_ms is not None:
            self.record(
                "AWS/ApiGateway", "IntegrationLatency", integration_ms, "Milliseconds", dims
            )

    def emf(self, line: str) -> int:
        """Metrics of one Embedded Metric Format log line; returns how many were recorded."""
        try:
            document = json.loads(line)
        except ValueError:
            return 0
        directives = (
            (document.get("_aws") or {}).get("CloudWatchMetrics")
            if isinstance(document, dict)
            else None
        )
        if not isinstance(directives, list):
            return 0
        recorded = 0
        for directive in directives:
            recorded += self.emf_directive(document, directive)
        return recorded

    def emf_directive(self, document: dict[str, Any], directive: dict[str, Any]) -> int:
        recorded = 0
        for metric in directive.get("Metrics", []):
            values = document.get(metric.get("Name"))
            values = values if isinstance(values, list) else [values]
            for dimension_set in directive.get("Dimensions", [[]]):
                dims = {name: str(document.get(name, "")) for name in dimension_set}
                for value in values:
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        self.record(
                            directive.get("Namespace", "aws-embedded-metrics"),
                            metric["Name"],
                            float(value),
                            metric.get("Unit", "None"),
                            dims,
                        )
                        recorded += 1
        return recorded

    thread_name = "metrics"

    def run(self) -> None:
        """Send recorded datapoints to the emulator's CloudWatch until stopped."""
        while (item := self.outbox.get()) is not None:
            batch: dict[str, list[dict[str, Any]]] = defaultdict(list)
            batch[item[0]].append(item[1])
            while not self.outbox.empty() and sum(map(len, batch.values())) < PUT_BATCH:
                more = self.outbox.get()
                if more is None:
                    self.outbox.put(None)
                    break
                batch[more[0]].append(more[1])
            for namespace, data in batch.items():
                try:
                    with self.cloudwatch_lock:
                        for part in aggregate(data):
                            self.cloudwatch.put_metric_data(Namespace=namespace, MetricData=part)
                except Exception as exc:
                    print(f"localenv: could not put metrics: {exc}", flush=True)
            # The emulator may share this process: one PutMetricData a second per namespace,
            # not one per request, keeps it off the request path (alarms read the store).
            time.sleep(FLUSH_SECONDS)

    def stop(self) -> None:
        self.outbox.put(None)


def aggregate(data: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The datapoints as PutMetricData calls, each value once with its count.

    Datapoints of one metric in one minute become one datum with ``Values`` and
    ``Counts``, timestamped with the first of them: standard-resolution metrics are
    stored at 1-minute resolution, so CloudWatch keeps the same statistics either way
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/publishingMetrics.html).
    A few datums instead of one per request: the calls cost less on both sides.
    """
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for point in data:
        dims = tuple((d["Name"], d["Value"]) for d in point["Dimensions"])
        key = (point["MetricName"], point["Unit"], dims, int(point["Timestamp"] // 60))
        group = groups.setdefault(key, {"first": point, "counts": {}})
        group["counts"][point["Value"]] = group["counts"].get(point["Value"], 0) + 1
    datums = [
        {
            **{k: v for k, v in group["first"].items() if k != "Value"},
            "Values": values[start : start + DATUM_MAX_VALUES],
            "Counts": [group["counts"][v] for v in values[start : start + DATUM_MAX_VALUES]],
        }
        for group in groups.values()
        for values in [list(group["counts"])]
        for start in range(0, len(values), DATUM_MAX_VALUES)
    ]
    return [datums[i : i + PUT_MAX_DATUMS] for i in range(0, len(datums), PUT_MAX_DATUMS)]
