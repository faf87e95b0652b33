"""An alarm state change as CloudWatch words it: ``StateReason`` and ``StateReasonData``.

The grammar is taken from responses recorded from AWS (LocalStack's AWS-validated
snapshots, ``tests/aws/services/cloudwatch/test_cloudwatch.snapshot.json``, keys
``test_put_metric_alarm`` and ``test_breaching_alarm_actions``) and from CloudWatch's
documentation of alarm states
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from localenv.observe.alarms import Alarm

WORDS = {
    "GreaterThanThreshold": "greater than",
    "GreaterThanOrEqualToThreshold": "greater than or equal to",
    "LessThanThreshold": "less than",
    "LessThanOrEqualToThreshold": "less than or equal to",
}


@dataclass(frozen=True)
class Evaluated:
    """One evaluated period: its start, its value (None: no data) and how many samples."""

    start: float
    value: float | None
    samples: int | None = None  # None where the value is metric math's, not one metric's
    breaching: bool = False


def number(value: float) -> str:
    """A double as CloudWatch prints it (Java's Double.toString): 2.0, 21.5, 1.0E7.

    AWS writes thresholds as ``(21.0)`` and datapoints as ``21.5`` (recorded reasons)."""
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e7:
        return repr(value)
    mantissa, exponent = f"{value:.16e}".split("e")
    digits = repr(float(mantissa))
    return f"{digits}E{int(exponent)}"


def when(epoch: float) -> str:
    """A period's start in a reason: ``(26/10/23 16:42:00)`` (dd/MM/yy HH:mm:ss, UTC)."""
    return time.strftime("%d/%m/%y %H:%M:%S", time.gmtime(epoch))


def iso(epoch: float) -> str:
    return (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch))
        + f".{int(epoch % 1 * 1000):03d}+0000"
    )


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def listed(points: Sequence[Evaluated]) -> str:
    return ", ".join(f"{number(p.value)} ({when(p.start)})" for p in points if p.value is not None)


def no_data_reason(alarm: Alarm) -> str:
    """TreatMissingData missing: AWS writes "Insufficient Data: 1 datapoint was unknown."."""
    n = alarm.evaluation_periods
    return f"Insufficient Data: {plural(n, 'datapoint')} {'was' if n == 1 else 'were'} unknown."


def all_missing_reason(alarm: Alarm, missing: int) -> str:
    """No data, treated as breaching or not (recorded: test_breaching_alarm_actions)."""
    treated = "Breaching" if alarm.treat_missing == "breaching" else "NonBreaching"
    verb = "was" if missing == 1 else "were"
    return (
        f"Threshold Crossed: no datapoints were received for {plural(missing, 'period')} and "
        f"{plural(missing, 'missing datapoint')} {verb} treated as [{treated}]."
    )


def threshold_reason(alarm: Alarm, points: Sequence[Evaluated], state: str) -> str:
    """The datapoints that decided the state, newest first, each with its period's start."""
    if all(p.value is None for p in points):
        return all_missing_reason(alarm, len(points))
    if state == "ALARM":
        return alarm_reason(alarm, points)
    return ok_reason(alarm, points)


def alarm_reason(alarm: Alarm, points: Sequence[Evaluated]) -> str:
    crossing = [p for p in points if p.value is not None and p.breaching]
    word, threshold = WORDS[alarm.comparison], number(alarm.threshold)
    if alarm.evaluation_periods == 1:
        # Recorded: "1 datapoint [21.5 (26/10/23 16:42:00)] was greater than the threshold
        # (2.0)." (test_put_metric_alarm)
        shown = listed(crossing)
        return f"Threshold Crossed: 1 datapoint [{shown}] was {word} the threshold ({threshold})."
    missing = sum(1 for p in points if p.value is None)
    count = len(crossing) + (missing if alarm.treat_missing == "breaching" else 0)
    minimum = plural(alarm.datapoints_to_alarm, "datapoint")
    return (
        f"Threshold Crossed: {count} out of the last {len(points)} datapoints "
        f"[{listed(crossing)}] {'was' if count == 1 else 'were'} {word} the threshold "
        f"({threshold}) (minimum {minimum} for OK -> ALARM transition)."
    )


def ok_reason(alarm: Alarm, points: Sequence[Evaluated]) -> str:
    """AWS's wording of a return to OK, as its notifications carry it: "1 out of the last 1
    datapoints [0.0 (18/11/19 06:56:00)] was not greater than the threshold (0.0) (minimum
    1 datapoint for ALARM -> OK transition)." (LocalStack's snapshots record only ALARM.)"""
    calm = [p for p in points if p.value is not None and not p.breaching]
    word, threshold = WORDS[alarm.comparison], number(alarm.threshold)
    missing = sum(1 for p in points if p.value is None)
    count = len(calm) + (missing if alarm.treat_missing == "notBreaching" else 0)
    minimum = plural(alarm.evaluation_periods - alarm.datapoints_to_alarm + 1, "datapoint")
    return (
        f"Threshold Crossed: {count} out of the last {len(points)} datapoints "
        f"[{listed(calm)}] {'was' if count == 1 else 'were'} not {word} the threshold "
        f"({threshold}) (minimum {minimum} for ALARM -> OK transition)."
    )


def reason_data(alarm: Alarm, points: Sequence[Evaluated], now: float) -> dict[str, Any]:
    """StateReasonData as AWS records it (keys in AWS's order; recentDatapoints oldest first,
    evaluatedDatapoints newest first, a missing period as its timestamp alone)."""
    present = [p for p in points if p.value is not None]
    data: dict[str, Any] = {"version": "1.0", "queryDate": iso(now)}
    if present:
        data["startDate"] = iso(min(p.start for p in present))
    if alarm.unit:
        data["unit"] = alarm.unit
    if alarm.key is not None:
        data["statistic"] = alarm.statistic
    data["period"] = alarm.period
    data["recentDatapoints"] = [p.value for p in reversed(present)]
    data["threshold"] = float(alarm.threshold)
    data["evaluatedDatapoints"] = [evaluated(p) for p in points]
    return data


def evaluated(point: Evaluated) -> dict[str, Any]:
    if point.value is None:
        return {"timestamp": iso(point.start)}
    if point.samples is None:
        return {"timestamp": iso(point.start), "value": point.value}
    samples = float(point.samples)
    return {"timestamp": iso(point.start), "sampleCount": samples, "value": point.value}
