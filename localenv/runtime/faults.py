"""Runtime faults the pool consults: a slower cold start and a worker killed while it
runs an invocation (a function's process dying, as an out-of-memory kill does)."""

from __future__ import annotations

import os
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any

KILL_AFTER_SECONDS = 0.05  # into the invocation: the event is in the worker's hands


@dataclass
class RuntimeFaults:
    cold_start_ms: int = 0  # added to every new environment's start
    kills_pending: int = 0  # the next N invocations lose their worker
    function: str | None = None  # None: every function
    injected: dict[str, int] = field(default_factory=lambda: {"cold_start": 0, "worker_kill": 0})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def applies(self, function: str) -> bool:
        return self.function is None or self.function == function

    def slow_cold_start(self, function: str) -> None:
        with self.lock:
            delay = self.cold_start_ms if self.applies(function) else 0
            self.injected["cold_start"] += bool(delay)
        if delay:
            time.sleep(delay / 1000)

    def kill_during(self, function: str, pid: int) -> None:
        with self.lock:
            if not (self.kills_pending and self.applies(function)):
                return
            self.kills_pending -= 1
            self.injected["worker_kill"] += 1
        threading.Timer(KILL_AFTER_SECONDS, os.kill, (pid, signal.SIGKILL)).start()

    def set(self, query: dict[str, str]) -> dict[str, Any]:
        """The control server's route: ``cold_start_ms``, ``kill_workers``, ``function``."""
        with self.lock:
            self.cold_start_ms = int(query.get("cold_start_ms") or 0)
            self.kills_pending = int(query.get("kill_workers") or 0)
            self.function = query.get("function") or None
        return self.view({})

    def view(self, _query: dict[str, str]) -> dict[str, Any]:
        with self.lock:
            return {
                "cold_start_ms": self.cold_start_ms,
                "kills_pending": self.kills_pending,
                "function": self.function,
                "injected": dict(self.injected),
            }
