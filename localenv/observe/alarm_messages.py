"""What CloudWatch publishes to SNS when an alarm changes state, for metric and metric-math alarms.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localenv.observe.alarms import Alarm, Outcome

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


def notification(
    alarm: Alarm, old: str, outcome: Outcome, when: float, account: str, region: str
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to SNS for an alarm state change."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": iso(when),
        "NewStateValue": outcome.state,
        "NewStateReason": outcome.reason,
        "StateChangeTime": iso(when),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_actions),
        "Trigger": trigger(alarm),
    }


def trigger(alarm: Alarm) -> dict[str, Any]:
    """The notification's Trigger: the metric and statistic, or the Metrics of a math alarm."""
    common: dict[str, Any] = {
        "Period": alarm.period,
        "EvaluationPeriods": alarm.evaluation_periods,
        "DatapointsToAlarm": alarm.datapoints_to_alarm,
        "ComparisonOperator": alarm.comparison,
        "Threshold": alarm.threshold,
        "TreatMissingData": alarm.treat_missing,
        "EvaluateLowSampleCountPercentile": "",
    }
    if alarm.key is None:
        return {"Metrics": list(alarm.metrics), **common}
    namespace, metric = alarm.key.namespace, alarm.key.name
    return {
        "MetricName": metric,
        "Namespace": namespace,
        "StatisticType": "ExtendedStatistic" if alarm.extended else "Statistic",
        ("ExtendedStatistic" if alarm.extended else "Statistic"): alarm.statistic.upper()
        if not alarm.extended
        else alarm.statistic,
        "Unit": alarm.unit,
        "Dimensions": [{"value": v, "name": k} for k, v in alarm.key.dimensions],
        **common,
    }


def iso(epoch: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
        + f".{int(epoch % 1 * 1000):03d}+0000"
    )
