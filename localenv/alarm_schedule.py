"""Alarm evaluation on a schedule, with every failure said out loud.

CloudWatch evaluates standard-resolution alarms once a minute.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
A failed evaluation locally means an alarm that would fire on AWS stays silent,
so it is logged with its traceback (stderr of ``localenv up``, or its log when
detached) and kept for ``localenv status`` — never dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

log = logging.getLogger("localenv.alarms")
KEPT_FAILURES = 20


class AlarmSchedule:
    """Calls ``evaluate`` every ``interval`` seconds from ``start()`` until ``stop()``."""

    def __init__(self, evaluate: Callable[[], object]):
        self.evaluate = evaluate
        self.failures: deque[str] = deque(maxlen=KEPT_FAILURES)
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, interval: float) -> None:
        self.thread = threading.Thread(
            target=self.run, args=(interval,), daemon=True, name="alarms"
        )
        self.thread.start()

    def run(self, interval: float) -> None:
        while not self.stopping.wait(interval):
            self.tick()

    def tick(self) -> None:
        try:
            self.evaluate()
        except Exception as exc:  # any failure: the loop keeps running, loudly
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            self.failures.append(f"{stamp} {type(exc).__name__}: {exc}")
            log.exception("localenv: alarm evaluation failed")

    def stop(self) -> None:
        self.stopping.set()
