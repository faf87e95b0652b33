"""Function logs to the emulator's CloudWatch Logs, off the request path."""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import Any

MAX_EVENTS_PER_CALL = 10_000
BATCH_SECONDS = 0.2


class LogShipper:
    def __init__(self, logs_client: Any):
        self.client = logs_client
        self.queue: queue.Queue[tuple[str, str, list[tuple[int, str]]] | None] = queue.Queue()
        self.streams: set[tuple[str, str]] = set()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def __call__(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        self.queue.put((group, stream, lines))

    def run(self) -> None:
        while (item := self.queue.get()) is not None:
            time.sleep(BATCH_SECONDS)  # gather what the next requests log: fewer, larger calls
            items, stopping = [item], False
            while not self.queue.empty():
                more = self.queue.get()
                if more is None:
                    stopping = True
                    break
                items.append(more)
            self.ship_all(items)
            if stopping:
                break
        self.queue.task_done()

    def ship_all(self, items: list[tuple[str, str, list[tuple[int, str]]]]) -> None:
        merged: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for group, stream, lines in items:
            merged.setdefault((group, stream), []).extend(lines)
        for (group, stream), lines in merged.items():
            try:
                self.ship(group, stream, lines)
            except Exception as exc:
                print(f"localenv: could not write logs to {group}: {exc}", flush=True)
        for _ in items:
            self.queue.task_done()

    def ship(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        if (group, stream) not in self.streams:
            self.ensure_stream(group, stream)
        events = [{"timestamp": ts, "message": message} for ts, message in lines]
        for start in range(0, len(events), MAX_EVENTS_PER_CALL):
            self.client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=events[start : start + MAX_EVENTS_PER_CALL],
            )

    def ensure_stream(self, group: str, stream: str) -> None:
        # Lambda creates /aws/lambda/<name> itself when the template does not.
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_group(logGroupName=group)
        with contextlib.suppress(self.client.exceptions.ResourceAlreadyExistsException):
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
        self.streams.add((group, stream))

    def flush(self) -> None:
        self.queue.join()

    def stop(self) -> None:
        self.flush()
        self.queue.put(None)
