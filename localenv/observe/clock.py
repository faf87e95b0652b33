"""The clock metrics and alarms run on: real time plus an offset tests and users can drive.

Alarms over 60 s periods would take minutes to fire in real time; advancing this
clock moves metric timestamps and evaluation time together, without changing
any alarm's definition.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self, base: Callable[[], float] = time.time):
        self.base = base
        self.offset = 0.0
        self.lock = threading.Lock()

    def now(self) -> float:
        with self.lock:
            return self.base() + self.offset

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.offset += seconds

    def to_next_period(self, period: float) -> None:
        """Jump to 1 s into the next period: the current one is then complete.

        Called once before traffic and once after, it puts all of that traffic in one
        period that the evaluation sees as the latest complete one.
        """
        with self.lock:
            now = self.base() + self.offset
            self.offset += (math.floor(now / period) + 1) * period + 1 - now
