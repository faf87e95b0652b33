"""Function logs to the emulator's CloudWatch Logs, off the request path."""

from __future__ import annotations

import contextlib
import queue
import time
from typing import Any

from localenv.daemon import DaemonWorker

# PutLogEvents takes at most 10,000 events and 1,048,576 bytes (each message's UTF-8
# bytes + 26) per call, in chronological order, spanning at most 24 hours; a batch
# out of order is refused whole.
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
MAX_EVENTS_PER_CALL = 10_000
MAX_BYTES_PER_CALL = 1_048_576
EVENT_OVERHEAD_BYTES = 26
MAX_SPAN_MS = 24 * 3600 * 1000
BATCH_SECONDS = 0.2
# A refused call is retried (throttling, a busy emulator) with a growing pause.
SHIP_ATTEMPTS = 5
RETRY_BASE_SECONDS = 0.1

Event = dict[str, Any]


def batches(lines: list[tuple[int, str]]) -> list[list[Event]]:
    """The lines as PutLogEvents batches: sorted by time, within every per-call limit."""
    out: list[list[Event]] = []
    size = 0
    for ts, message in sorted(lines, key=lambda line: line[0]):
        cost = len(message.encode("utf-8", "replace")) + EVENT_OVERHEAD_BYTES
        if not out or batch_full(out[-1], size + cost, ts):
            out.append([])
            size = 0
        out[-1].append({"timestamp": ts, "message": message})
        size += cost
    return out


def batch_full(batch: list[Event], size: int, ts: int) -> bool:
    return (
        len(batch) >= MAX_EVENTS_PER_CALL
        or size > MAX_BYTES_PER_CALL
        or ts - batch[0]["timestamp"] > MAX_SPAN_MS
    )


class LogShipper(DaemonWorker):
    """Stores the client; ``start()`` starts the sender thread, ``stop()`` ships what is
    queued and ends it; a context manager."""

    thread_name = "log-shipper"

    def __init__(self, logs_client: Any, sleep: Any = time.sleep):
        self.client = logs_client
        self.sleep = sleep
        self.queue: queue.Queue[tuple[str, str, list[tuple[int, str]]] | None] = queue.Queue()
        self.streams: set[tuple[str, str]] = set()

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
                print(
                    f"localenv: lost {len(lines)} log lines of {group}/{stream}: {exc}", flush=True
                )
        for _ in items:
            self.queue.task_done()

    def ship(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        if (group, stream) not in self.streams:
            self.ensure_stream(group, stream)
        for batch in batches(lines):
            self.put_with_retries(group, stream, batch)

    def put_with_retries(self, group: str, stream: str, batch: list[Event]) -> None:
        for attempt in range(SHIP_ATTEMPTS):
            try:
                self.client.put_log_events(
                    logGroupName=group, logStreamName=stream, logEvents=batch
                )
            except Exception:
                if attempt == SHIP_ATTEMPTS - 1:
                    raise
                self.sleep(RETRY_BASE_SECONDS * 2**attempt)
            else:
                return

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
        if self.thread is None or not self.thread.is_alive():
            return  # never started (or stopped): no sender to wait for
        self.flush()
        self.queue.put(None)
