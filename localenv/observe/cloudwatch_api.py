"""CloudWatch calls the harness answers itself at the stack's AWS endpoint (an edge
interceptor): ``DescribeAlarmHistory`` from the alarm engine's history, and
``GetMetricStatistics`` / ``GetMetricData`` for the stack's metrics from the metric store
(the emulator has no alarm history and no percentiles).

Only the JSON protocol is answered here — what botocore (and so the AWS CLI and boto3)
speaks to CloudWatch: its model lists ``smithy-rpc-v2-cbor``, ``json``, ``query`` and
botocore takes ``json`` first. A query or CBOR request, a metric in a namespace the store
does not hold (a user's own PutMetricData), a metric-math expression or a statistic the
store does not compute goes on to the emulator, as before.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Operations.html
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from localenv.edge.calls import AwsCall
from localenv.edge.errors import EdgeResponse
from localenv.observe.alarm_history import AlarmHistory, HistoryItemType, HistoryQuery
from localenv.observe.clock import Clock
from localenv.observe.metric_queries import (
    MetricQueryError,
    StatisticsRequest,
    StatQuery,
    metric_data,
    metric_statistics,
    rounded_start,
)
from localenv.observe.metrics import MetricStore

JSON_TYPE = "application/x-amz-json-1.0"
MAX_HISTORY_RECORDS = 100  # DescribeAlarmHistory MaxRecords: 1-100, default 100
HISTORY_TYPES = [t.value for t in HistoryItemType] + [
    "AlarmContributorStateUpdate",
    "AlarmContributorAction",
]


class CloudWatchValidationError(ValueError):
    """A parameter AWS refuses (answered as CloudWatch's ValidationError)."""


def epoch(value: Any) -> float:
    """A timestamp parameter: epoch seconds (botocore's JSON protocol) or ISO 8601."""
    if isinstance(value, int | float):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def json_response(body: dict[str, Any]) -> EdgeResponse:
    headers = (("x-amzn-RequestId", str(uuid.uuid4())), ("Content-Type", JSON_TYPE))
    return EdgeResponse(200, headers, json.dumps(body).encode())


def validation_error(message: str) -> EdgeResponse:
    # CloudWatch's JSON protocol is query-compatible: the query error code travels in
    # x-amzn-query-error, which botocore reads as the error code.
    # https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#aws-protocols-awsquerycompatible-trait
    body = {"__type": "com.amazonaws.cloudwatch#ValidationError", "message": message}
    headers = (
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("Content-Type", JSON_TYPE),
        ("x-amzn-query-error", "ValidationError;Sender"),
    )
    return EdgeResponse(400, headers, json.dumps(body).encode())


class CloudWatchApi:
    def __init__(self, store: MetricStore, history: AlarmHistory, clock: Clock):
        self.store = store
        self.history = history
        self.clock = clock
        self.operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "DescribeAlarmHistory": self.describe_alarm_history,
            "GetMetricStatistics": self.get_metric_statistics,
            "GetMetricData": self.get_metric_data,
        }

    def __call__(self, call: AwsCall) -> EdgeResponse | None:
        if call.model is None or call.model.name != "cloudwatch":
            return None
        answer = self.operations.get(call.operation or "")
        if answer is None or call.raw.header("X-Amz-Target") is None:
            return None
        try:
            return json_response(answer(call.params))
        except MetricQueryError:
            return None  # the emulator answers what the store does not hold
        except CloudWatchValidationError as exc:
            return validation_error(str(exc))

    def describe_alarm_history(self, params: dict[str, Any]) -> dict[str, Any]:
        kind = params.get("HistoryItemType")
        if kind is not None and kind not in HISTORY_TYPES:
            raise CloudWatchValidationError(
                f"1 validation error detected: Value '{kind}' at 'historyItemType' failed to "
                "satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(HISTORY_TYPES)}]"
            )
        if "MetricAlarm" not in (params.get("AlarmTypes") or ["MetricAlarm"]):
            return page([], params)  # no composite alarms locally
        query = HistoryQuery(
            alarm=params.get("AlarmName"),
            kind=kind,
            start=epoch(params["StartDate"]) if "StartDate" in params else None,
            end=epoch(params["EndDate"]) if "EndDate" in params else None,
            newest_first=params.get("ScanBy", "TimestampDescending") == "TimestampDescending",
        )
        return page(self.history.query(query), params)

    def get_metric_statistics(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("Namespace") not in self.store.namespaces():
            raise MetricQueryError(f"namespace {params.get('Namespace')} is not the stack's")
        if not params.get("Statistics") and not params.get("ExtendedStatistics"):
            raise MetricQueryError("neither Statistics nor ExtendedStatistics")
        request = StatisticsRequest.of(params, self.times(params))
        return metric_statistics(self.store, request)

    def get_metric_data(self, params: dict[str, Any]) -> dict[str, Any]:
        queries = [StatQuery.of(raw) for raw in params.get("MetricDataQueries") or []]
        held = self.store.namespaces()
        if not queries or any(q.key.namespace not in held for q in queries):
            raise MetricQueryError("a query reads a metric the store does not hold")
        newest_first = params.get("ScanBy", "TimestampDescending") == "TimestampDescending"
        return metric_data(self.store, queries, self.times(params), newest_first)

    def times(self, params: dict[str, Any]) -> tuple[float, float]:
        start, end = epoch(params["StartTime"]), epoch(params["EndTime"])
        if end <= start:
            raise MetricQueryError("StartTime not before EndTime: the emulator refuses it")
        return rounded_start(start, self.clock.now()), end


def page(found: list[Any], params: dict[str, Any]) -> dict[str, Any]:
    size = min(int(params.get("MaxRecords") or MAX_HISTORY_RECORDS), MAX_HISTORY_RECORDS)
    offset = int(params.get("NextToken") or 0)
    items = [i.as_api() for i in found[offset : offset + size]]
    body: dict[str, Any] = {"AlarmHistoryItems": items}
    if offset + size < len(found):
        body["NextToken"] = str(offset + size)
    return body
