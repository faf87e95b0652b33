"""Alarm state changes as AWS records them: reason text, StateReasonData, the alarm
history behind DescribeAlarmHistory, and the notification's Trigger. Expected values are
AWS's recordings (LocalStack's AWS-validated snapshot
tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json), times as placeholders."""

from __future__ import annotations

import json
import re
import threading
from datetime import UTC, datetime
from typing import Any

from localenv.observe.alarm_engine import AlarmEngine
from localenv.observe.alarms import Alarm, judge
from localenv.observe.clock import Clock
from localenv.observe.cloudwatch_api import CloudWatchApi
from localenv.observe.metrics import MetricKey, MetricStore
from tests.unit.cloudwatch_calls import cloudwatch

KEY = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "f"})
T0 = 1_793_000_000.0 - 1_793_000_000.0 % 60  # a minute boundary
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000")
WHEN = re.compile(r"\(\d\d/\d\d/\d\d \d\d:\d\d:\d\d\)")


def raw_alarm(**overrides: Any) -> dict[str, Any]:
    raw = {
        "AlarmName": "a",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:111111111111:alarm:a",
        "AlarmDescription": "testing cloudwatch alarms",
        "Namespace": KEY.namespace,
        "MetricName": KEY.name,
        "Dimensions": [{"Name": "FunctionName", "Value": "f"}],
        "Statistic": "Average",
        "Period": 30,
        "EvaluationPeriods": 1,
        "Threshold": 2.0,
        "ComparisonOperator": "GreaterThanThreshold",
        "TreatMissingData": "notBreaching",
        "Unit": "Seconds",
        "ActionsEnabled": True,
        "AlarmActions": ["arn:aws:sns:us-east-1:111111111111:t"],
        "OKActions": [],
        "InsufficientDataActions": [],
        "StateValue": "INSUFFICIENT_DATA",
        "StateReason": "Unchecked: Initial alarm creation",
        "AlarmConfigurationUpdatedTimestamp": datetime.fromtimestamp(T0 - 3600, UTC),
    }
    raw.update(overrides)
    return {k: v for k, v in raw.items() if v is not None}


def placeholders(text: str) -> str:
    return WHEN.sub("(when)", text)


# ---------------------------------------------------------------- 3. reason grammar
def test_one_datapoint_alarm_reason_names_the_value_its_time_and_a_java_threshold() -> None:
    outcome = judge(Alarm.from_api(raw_alarm()), [21.5], "INSUFFICIENT_DATA", end=T0)
    assert placeholders(outcome.reason) == (
        "Threshold Crossed: 1 datapoint [21.5 (when)] was greater than the threshold (2.0)."
    )
    period_start = datetime.fromtimestamp(T0 - 30, UTC)
    assert f"[21.5 ({period_start:%d/%m/%y %H:%M:%S})]" in outcome.reason


def test_missing_data_treated_as_breaching_or_not_is_worded_as_aws_records_it() -> None:
    breaching = Alarm.from_api(raw_alarm(EvaluationPeriods=2, TreatMissingData="breaching"))
    assert judge(breaching, [None, None], "OK", end=T0).reason == (
        "Threshold Crossed: no datapoints were received for 2 periods and 2 missing "
        "datapoints were treated as [Breaching]."
    )
    calm = Alarm.from_api(raw_alarm())
    assert judge(calm, [None], "ALARM", end=T0).reason == (
        "Threshold Crossed: no datapoints were received for 1 period and 1 missing "
        "datapoint was treated as [NonBreaching]."
    )


def test_m_out_of_n_reasons_list_the_deciding_datapoints_newest_first() -> None:
    alarm = Alarm.from_api(raw_alarm(EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=1.0))
    fired = judge(alarm, [5.0, 0.0, 3.0], "OK", end=T0)
    assert placeholders(fired.reason) == (
        "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (when), 3.0 (when)] were "
        "greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."
    )
    calm = judge(Alarm.from_api(raw_alarm(Threshold=10.0)), [1.0], "ALARM", end=T0)
    assert placeholders(calm.reason) == (
        "Threshold Crossed: 1 out of the last 1 datapoints [1.0 (when)] was not greater than "
        "the threshold (10.0) (minimum 1 datapoint for ALARM -> OK transition)."
    )


def test_insufficient_data_reason_is_singular_for_one_period() -> None:
    alarm = Alarm.from_api(raw_alarm(TreatMissingData="missing"))
    assert judge(alarm, [None], "OK").reason == "Insufficient Data: 1 datapoint was unknown."


# ---------------------------------------------------------------- engine + history
class FakeCloudWatch:
    """The emulator's alarm store: DescribeAlarms and SetAlarmState, in memory."""

    def __init__(self, raw: dict[str, Any]):
        self.alarms = {raw["AlarmName"]: raw}

    def describe_alarms(self, AlarmNames: list[str]) -> dict[str, Any]:  # noqa: N803
        return {"MetricAlarms": [dict(self.alarms[n]) for n in AlarmNames]}

    def set_alarm_state(self, **state: str) -> None:
        self.alarms[state["AlarmName"]].update(
            StateValue=state["StateValue"],
            StateReason=state["StateReason"],
            StateReasonData=state["StateReasonData"],
        )


def fired_engine(raw: dict[str, Any], *samples: float) -> tuple[AlarmEngine, list[Any]]:
    store, published = MetricStore(), []
    for value in samples:
        store.add(KEY, T0 - 20, value, "Seconds")
    engine = AlarmEngine(
        FakeCloudWatch(raw),
        store,
        Clock(lambda: T0 + 1),
        lambda *args: published.append(args),
        "111111111111",
        "us-east-1",
        lambda: ["a"],
        threading.Lock(),
    )
    engine.evaluate_all()
    return engine, published


def test_state_reason_data_has_aws_keys_and_empty_lists_not_nulls() -> None:
    engine, _ = fired_engine(raw_alarm(), 21.5, 21.5)
    raw = engine.cloudwatch.alarms["a"]
    data = json.loads(raw["StateReasonData"])
    assert list(data) == [
        "version",
        "queryDate",
        "startDate",
        "unit",
        "statistic",
        "period",
        "recentDatapoints",
        "threshold",
        "evaluatedDatapoints",
    ]
    assert DATE.fullmatch(data["queryDate"]) and DATE.fullmatch(data["startDate"])
    assert (data["unit"], data["statistic"], data["period"]) == ("Seconds", "Average", 30)
    assert data["recentDatapoints"] == [21.5] and data["threshold"] == 2.0
    point = data["evaluatedDatapoints"][0]
    assert (point["sampleCount"], point["value"]) == (2.0, 21.5)
    assert DATE.fullmatch(point["timestamp"])
    calm, _ = fired_engine(raw_alarm(TreatMissingData="breaching", EvaluationPeriods=2))
    missing = json.loads(calm.cloudwatch.alarms["a"]["StateReasonData"])
    assert missing["recentDatapoints"] == [] and "startDate" not in missing
    assert [list(p) for p in missing["evaluatedDatapoints"]] == [["timestamp"], ["timestamp"]]


def test_describe_alarm_history_answers_state_updates_from_the_engine() -> None:
    engine, _ = fired_engine(raw_alarm(), 21.5, 21.5)
    api = CloudWatchApi(engine.store, engine.history, engine.clock)
    items = cloudwatch(api, "DescribeAlarmHistory", AlarmName="a")["AlarmHistoryItems"]
    assert len(items) == 1
    item = items[0]
    assert item["AlarmName"] == "a" and item["AlarmType"] == "MetricAlarm"
    assert item["HistoryItemType"] == "StateUpdate"
    assert item["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"
    assert item["Timestamp"] == datetime.fromtimestamp(T0 + 1, UTC)
    data = json.loads(item["HistoryData"])
    assert data["version"] == "1.0"
    assert data["oldState"] == {
        "stateValue": "INSUFFICIENT_DATA",
        "stateReason": "Unchecked: Initial alarm creation",
    }
    assert data["newState"]["stateValue"] == "ALARM"
    assert placeholders(data["newState"]["stateReason"]) == (
        "Threshold Crossed: 1 datapoint [21.5 (when)] was greater than the threshold (2.0)."
    )
    assert data["newState"]["stateReasonData"]["evaluatedDatapoints"][0]["value"] == 21.5
    none = cloudwatch(api, "DescribeAlarmHistory", AlarmName="a", HistoryItemType="Action")
    assert none["AlarmHistoryItems"] == []


# ---------------------------------------------------------------- 5. notification Trigger
def test_notification_trigger_as_aws_writes_it() -> None:
    _, published = fired_engine(raw_alarm(Statistic="SampleCount", Threshold=1.0), 1.0, 1.0)
    (_, subject, message) = published[0]
    assert subject == 'ALARM: "a" in US East (N. Virginia)'
    trigger = message["Trigger"]
    assert trigger["Statistic"] == "SAMPLE_COUNT"
    assert "DatapointsToAlarm" not in trigger  # the alarm sets none
    assert message["AlarmConfigurationUpdatedTimestamp"] != message["StateChangeTime"]
    assert DATE.fullmatch(message["AlarmConfigurationUpdatedTimestamp"])
    assert message["ActionExecutedAfterMuteWindow"] is False
    keys = list(message)
    assert keys.index("OldStateValue") + 1 == keys.index("ActionExecutedAfterMuteWindow")
    _, explicit = fired_engine(raw_alarm(DatapointsToAlarm=1), 21.5)
    assert explicit[0][2]["Trigger"]["DatapointsToAlarm"] == 1
