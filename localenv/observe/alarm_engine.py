"""The alarm engine: reads the stack's alarms from the emulator, evaluates them against the
metric store on the stack's clock, records each state change in the emulator
(``SetAlarmState``) and in the alarm history, and sends AlarmActions/OKActions to SNS.

It is the one place alarm state changes: ``DescribeAlarms`` reads what it wrote to the
emulator, ``DescribeAlarmHistory`` what it wrote to the history."""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localenv.observe.alarm_history import AlarmHistory, AlarmState
from localenv.observe.alarm_messages import notification
from localenv.observe.alarm_reasons import reason_data
from localenv.observe.alarms import Alarm, Outcome, datapoints_of, judge, periods_of
from localenv.observe.clock import Clock
from localenv.observe.metrics import MetricStore

Publish = Callable[[str, str, dict[str, Any]], None]


@dataclass
class Change:
    alarm: str
    old: str
    new: str
    reason: str


def outcome_of(alarm: Alarm, store: MetricStore, now: float, current: str) -> Outcome:
    """The alarm's new state over its last complete periods, ending at the current period."""
    end = math.floor(now / alarm.period) * alarm.period
    counts = [len(s) for s in periods_of(alarm, store, now)] if alarm.math is None else None
    return judge(alarm, datapoints_of(alarm, store, now), current, end, counts)


def state_of(raw: dict[str, Any]) -> AlarmState:
    """The alarm's current state as DescribeAlarms returns it."""
    try:
        data = json.loads(raw.get("StateReasonData") or "null")
    except ValueError:
        data = None
    return AlarmState(
        raw.get("StateValue", "INSUFFICIENT_DATA"),
        raw.get("StateReason", ""),
        data if isinstance(data, dict) and data else None,
    )


class AlarmEngine:
    def __init__(
        self,
        cloudwatch: Any,
        store: MetricStore,
        clock: Clock,
        publish: Publish,
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
        self.history = AlarmHistory()
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
        old = state_of(raw)
        outcome = outcome_of(alarm, self.store, now, old.value)
        if outcome.state == old.value:
            return None
        new = AlarmState(outcome.state, outcome.reason, reason_data(alarm, outcome.points, now))
        with self.cloudwatch_lock:
            self.cloudwatch.set_alarm_state(
                AlarmName=alarm.name,
                StateValue=new.value,
                StateReason=new.reason[:1023],
                StateReasonData=json.dumps(new.reason_data),
            )
        self.history.state_update(alarm.name, old, new, now)
        self.notify(alarm, old.value, outcome, now)
        return Change(alarm.name, old.value, outcome.state, outcome.reason)

    def notify(self, alarm: Alarm, old: str, outcome: Outcome, now: float) -> None:
        actions = {
            "ALARM": alarm.alarm_actions,
            "OK": alarm.ok_actions,
            "INSUFFICIENT_DATA": alarm.insufficient_actions,
        }[outcome.state]
        if not alarm.actions_enabled:
            return
        message = notification(alarm, old, outcome, now, self.account, self.region)
        subject = f'{outcome.state}: "{alarm.name}" in {message["Region"]}'[:100]
        for arn in actions:
            if ":sns:" in arn:
                self.publish(arn, subject, message)

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
