"""What CloudWatch publishes to SNS when an alarm changes state, for metric and metric-math alarms.

https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localenv.observe.alarm_reasons import iso

if TYPE_CHECKING:
    from localenv.observe.alarms import Alarm, Outcome

REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)",
    "eu-central-1": "EU (Frankfurt)",
}


# The Trigger's Statistic in AWS's enum spelling: "AVERAGE" (recorded: test_cloudwatch.snapshot
# .json, "alarm-triggered-sqs-msg"), "SAMPLE_COUNT" with an underscore.
STATISTIC_NAMES = {
    "SampleCount": "SAMPLE_COUNT",
    "Average": "AVERAGE",
    "Sum": "SUM",
    "Minimum": "MINIMUM",
    "Maximum": "MAXIMUM",
}


def notification(
    alarm: Alarm, old: str, outcome: Outcome, when: float, account: str, region: str
) -> dict[str, Any]:
    """The JSON CloudWatch publishes to SNS for an alarm state change."""
    return {
        "AlarmName": alarm.name,
        "AlarmDescription": alarm.description or None,
        "AWSAccountId": account,
        # The alarm's own configuration time, not the state change's (recorded:
        # test_cloudwatch.snapshot.json, "alarm-triggered-sqs-msg").
        "AlarmConfigurationUpdatedTimestamp": iso(alarm.configured_at or when),
        "NewStateValue": outcome.state,
        "NewStateReason": outcome.reason,
        "StateChangeTime": iso(when),
        "Region": REGION_NAMES.get(region, region),
        "AlarmArn": alarm.arn,
        "OldStateValue": old,
        # No mute rules locally: an action never runs after a mute window.
        # https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarm-sns-notifications.html
        "ActionExecutedAfterMuteWindow": False,
        "OKActions": list(alarm.ok_actions),
        "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_actions),
        "Trigger": trigger(alarm),
    }


def trigger(alarm: Alarm) -> dict[str, Any]:
    """The notification's Trigger: the metric and statistic, or the Metrics of a math alarm."""
    common: dict[str, Any] = {"Period": alarm.period, "EvaluationPeriods": alarm.evaluation_periods}
    if alarm.explicit_datapoints_to_alarm:  # AWS leaves it out when the alarm sets none
        common["DatapointsToAlarm"] = alarm.datapoints_to_alarm
    common |= {
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
        ("ExtendedStatistic" if alarm.extended else "Statistic"): (
            alarm.statistic if alarm.extended else STATISTIC_NAMES[alarm.statistic]
        ),
        "Unit": alarm.unit,
        "Dimensions": [{"value": v, "name": k} for k, v in alarm.key.dimensions],
        **common,
    }
