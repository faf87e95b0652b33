"""Alarm history as CloudWatch keeps it, written by the alarm engine (the one place alarm
state changes) and read by ``DescribeAlarmHistory`` at the stack's edge.

AWS records each state change as a ``StateUpdate`` item: ``HistorySummary`` "Alarm updated
from OK to ALARM", ``HistoryData`` a JSON document with the old and new state, reason and
reason data (recorded: LocalStack's AWS-validated snapshot
``tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json``, key
``test_put_metric_alarm`` / ``describe-alarm-history``); items are kept for 30 days
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarmHistory.html).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Any

RETENTION_SECONDS = 30 * 24 * 3600


class HistoryItemType(Enum):
    CONFIGURATION_UPDATE = "ConfigurationUpdate"
    STATE_UPDATE = "StateUpdate"
    ACTION = "Action"


@dataclass(frozen=True)
class AlarmState:
    value: str
    reason: str
    reason_data: dict[str, Any] | None = None

    def as_history(self) -> dict[str, Any]:
        state: dict[str, Any] = {"stateValue": self.value, "stateReason": self.reason}
        if self.reason_data is not None:
            state["stateReasonData"] = self.reason_data
        return state


@dataclass(frozen=True)
class HistoryItem:
    alarm: str
    timestamp: float
    kind: HistoryItemType
    summary: str
    data: str

    def as_api(self) -> dict[str, Any]:
        return {
            "AlarmName": self.alarm,
            "AlarmType": "MetricAlarm",
            "Timestamp": self.timestamp,
            "HistoryItemType": self.kind.value,
            "HistorySummary": self.summary,
            "HistoryData": self.data,
        }


@dataclass(frozen=True)
class HistoryQuery:
    alarm: str | None = None
    kind: str | None = None  # a HistoryItemType value, or a contributor type (none here)
    start: float | None = None
    end: float | None = None
    newest_first: bool = True

    def admits(self, item: HistoryItem) -> bool:
        return (
            (self.alarm is None or item.alarm == self.alarm)
            and (self.kind is None or item.kind.value == self.kind)
            and (self.start is None or item.timestamp >= self.start)
            and (self.end is None or item.timestamp <= self.end)
        )


class AlarmHistory:
    def __init__(self) -> None:
        self.items: list[HistoryItem] = []
        self.lock = threading.Lock()

    def state_update(self, alarm: str, old: AlarmState, new: AlarmState, when: float) -> None:
        data = {"version": "1.0", "oldState": old.as_history(), "newState": new.as_history()}
        summary = f"Alarm updated from {old.value} to {new.value}"
        item = HistoryItem(alarm, when, HistoryItemType.STATE_UPDATE, summary, json.dumps(data))
        with self.lock:
            self.items.append(item)
            self.items = [i for i in self.items if i.timestamp >= when - RETENTION_SECONDS]

    def query(self, query: HistoryQuery) -> list[HistoryItem]:
        with self.lock:
            found = [i for i in self.items if query.admits(i)]
        return sorted(found, key=lambda i: i.timestamp, reverse=query.newest_first)
