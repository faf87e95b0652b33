"""Metric-math alarms against hand-computed windows (pure: no emulator)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localenv.observe.alarms import Alarm, AlarmDefinitionError, datapoints_of, judge
from localenv.observe.metrics import MetricKey, MetricStore
from tests.template_model import resources

ERRORS = MetricKey.of("AWS/Lambda", "Errors", {"FunctionName": "auth"})
REJECTED = MetricKey.of("DataProc", "RejectedTokens", {"service": "authorizer"})
NOW = 10 * 60.0  # the start of a minute: the last complete period is [540, 600)


def stat(id: str, key: MetricKey, period: int = 60, stat: str = "Sum") -> dict[str, Any]:
    dims = [{"Name": k, "Value": v} for k, v in key.dimensions]
    return {
        "Id": id,
        "MetricStat": {
            "Metric": {"Namespace": key.namespace, "MetricName": key.name, "Dimensions": dims},
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": False,
    }


def math_alarm(expression: str, *extra: dict[str, Any], **overrides: Any) -> Alarm:
    raw = {
        "AlarmName": "m",
        "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:m",
        "Metrics": [
            stat("errors", ERRORS),
            stat("rejected", REJECTED),
            *extra,
            {"Id": "e", "Expression": expression, "ReturnData": True},
        ],
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
    raw.update(overrides)
    return Alarm.from_api(raw)


def store(*samples: tuple[MetricKey, float, float]) -> MetricStore:
    found = MetricStore()
    for key, when, value in samples:
        found.add(key, when, value)
    return found


def points(alarm: Alarm, metric_store: MetricStore) -> list[float | None]:
    return datapoints_of(alarm, metric_store, NOW)


def test_rejected_tokens_do_not_count_as_failures() -> None:
    alarm = math_alarm("errors - FILL(rejected, 0)")
    fifty_rejections = store(
        *[(ERRORS, 550.0 + i / 10, 1.0) for i in range(50)],
        *[(REJECTED, 550.0 + i / 10, 1.0) for i in range(50)],
    )
    assert points(alarm, fifty_rejections) == [0.0]
    assert judge(alarm, points(alarm, fifty_rejections), "OK").state == "OK"


def test_an_error_without_a_rejection_alarms_thanks_to_fill() -> None:
    outage = store((ERRORS, 550.0, 1.0), (ERRORS, 551.0, 1.0))
    assert points(math_alarm("errors - FILL(rejected, 0)"), outage) == [2.0]
    assert judge(math_alarm("errors - FILL(rejected, 0)"), [2.0], "OK").state == "ALARM"
    # Without FILL a series minus a missing point is missing: CloudWatch's semantics.
    assert points(math_alarm("errors - rejected"), outage) == [None]


def test_no_data_at_all_is_treated_as_the_alarm_says() -> None:
    alarm = math_alarm("errors - FILL(rejected, 0)")
    assert points(alarm, MetricStore()) == [None]
    assert judge(alarm, [None], "ALARM").state == "OK"
    missing = math_alarm("errors - FILL(rejected, 0)", TreatMissingData="missing")
    assert judge(missing, [None], "OK").state == "INSUFFICIENT_DATA"
    breaching = math_alarm("errors - FILL(rejected, 0)", TreatMissingData="breaching")
    assert judge(breaching, [None], "OK").state == "ALARM"


def test_only_the_periods_evaluated_are_read() -> None:
    alarm = math_alarm("errors", EvaluationPeriods=3, DatapointsToAlarm=2)
    samples = store((ERRORS, 470.0, 1.0), (ERRORS, 530.0, 4.0), (ERRORS, 600.0, 9.0))
    assert points(alarm, samples) == [None, 4.0, 1.0]  # newest first; 600 is not complete


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1 + 2 * errors", 7.0),
        ("(1 + 2) * errors", 9.0),
        ("errors / rejected", 1.5),
        ("errors / (rejected - 2)", None),  # divided by zero: no point
        ("-errors + 10", 7.0),
        ("errors > 2 AND rejected < 3", 1.0),
        ("errors > 5 || rejected == 2", 1.0),
        ("NOT (errors >= 3)", 0.0),
        ("errors != 3", 0.0),
        ("IF(errors > rejected, errors, 0)", 3.0),
        ("IF(errors < rejected, 100)", None),  # no false value: no point
        ("SUM([errors, rejected])", 5.0),
        ("MAX([errors, rejected])", 3.0),
        ("MIN([errors, rejected])", 2.0),
        ("AVG([errors, rejected])", 2.5),
        ("errors - AVG(errors)", 0.0),  # of one series: a scalar over its periods
        ("FILL(errors, 7)", 3.0),
    ],
)
def test_operators_and_functions(expression: str, expected: float | None) -> None:
    samples = store((ERRORS, 550.0, 1.0), (ERRORS, 560.0, 2.0), (REJECTED, 570.0, 2.0))
    assert points(math_alarm(expression), samples) == [expected]


def test_an_array_aggregate_ignores_a_series_missing_at_a_period() -> None:
    samples = store((ERRORS, 550.0, 4.0))
    assert points(math_alarm("SUM([errors, rejected])"), samples) == [4.0]
    assert points(math_alarm("MAX([errors, rejected])"), MetricStore()) == [None]


def test_expressions_can_use_other_expressions_and_percentiles() -> None:
    p99 = stat("slow", ERRORS, stat="p99")
    double = {"Id": "double", "Expression": "slow * 2", "ReturnData": False}
    alarm = math_alarm("double + 1", p99, double)
    samples = store(*[(ERRORS, 541.0 + i / 10, float(i)) for i in range(100)])
    assert points(alarm, samples) == [98.0 * 2 + 1]  # nearest rank: the 99th of 0..99


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("SUM(METRICS())", "METRICS"),
        ("FILL(errors, REPEAT)", "REPEAT"),
        ("FILL(errors, LINEAR)", "LINEAR"),
        ("errors ^ 2", "'^'"),
        ("RATE(errors)", "RATE"),
        ("SEARCH('{AWS/Lambda}', 'Sum', 60)", "SEARCH"),
        ("nosuch + 1", "nosuch"),
        ("errors +", "the end"),
        ("SUM(errors)", "single time series"),
        ("[errors, rejected]", "single time series"),
        ("e + 1", "itself"),
    ],
)
def test_anything_else_is_refused_by_name(expression: str, named: str) -> None:
    with pytest.raises(AlarmDefinitionError, match="m: ") as refused:
        math_alarm(expression)
    assert named in str(refused.value)


def test_exactly_one_query_returns_data_and_all_share_a_period() -> None:
    with pytest.raises(AlarmDefinitionError, match="2 queries return data"):
        math_alarm("errors", {**stat("other", ERRORS), "ReturnData": True})
    with pytest.raises(AlarmDefinitionError, match=r"periods \[60, 300\]"):
        math_alarm("errors", stat("slow", ERRORS, period=300))
    with pytest.raises(AlarmDefinitionError, match=r"statistic p99\.9x"):
        math_alarm("errors", stat("odd", ERRORS, stat="p99.9x"))


def test_a_cross_account_query_is_refused() -> None:
    with pytest.raises(AlarmDefinitionError, match="AccountId"):
        math_alarm("errors", {**stat("theirs", ERRORS), "AccountId": "111122223333"})


def test_anomaly_detection_is_refused() -> None:
    with pytest.raises(AlarmDefinitionError, match="anomaly detection"):
        math_alarm("errors", ThresholdMetricId="ad1")


def test_the_templates_authorizer_alarm_is_evaluated_as_errors_minus_rejections() -> None:
    props = resources("AWS::CloudWatch::Alarm")["AuthorizerErrorsAlarm"]["Properties"]
    # The function's name, as CloudFormation resolves !Ref AuthorizerFunction.
    text = json.dumps(props["Metrics"]).replace('{"Ref": "AuthorizerFunction"}', '"auth"')
    metrics = json.loads(text)
    alarm = Alarm.from_api(
        {
            "AlarmName": "auth",
            "AlarmArn": "arn:aws:cloudwatch:us-east-1:1:alarm:auth",
            "Metrics": metrics,
            "EvaluationPeriods": props["EvaluationPeriods"],
            "Threshold": props["Threshold"],
            "ComparisonOperator": props["ComparisonOperator"],
            "TreatMissingData": props["TreatMissingData"],
        }
    )
    rejections = store((ERRORS, 550.0, 1.0), (REJECTED, 550.0, 1.0))
    assert judge(alarm, points(alarm, rejections), "OK").state == "OK"
    outage = store((ERRORS, 550.0, 1.0))
    assert judge(alarm, points(alarm, outage), "OK").state == "ALARM"
