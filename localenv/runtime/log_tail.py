"""The log lines of one invocation, for Invoke's ``LogType=Tail``.

An environment hands an invocation's whole log (START ... REPORT) to its sink
from the thread that invoked it, so a per-thread capture sees exactly the lines
of the invocation that thread is running, and nothing of its neighbours'.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from localenv.runtime.environment import LogSink

# Lambda returns "the last 4 KB of the execution log", base64-encoded, in
# X-Amz-Log-Result. https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html
TAIL_BYTES = 4096


class LogTap:
    """A log sink that passes every line on and lets a thread keep a copy of its own."""

    def __init__(self, sink: LogSink):
        self.sink = sink
        self.local = threading.local()

    def __call__(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        captured: list[str] | None = getattr(self.local, "lines", None)
        if captured is not None:
            captured += [line for _, line in lines]
        self.sink(group, stream, lines)

    @contextmanager
    def capture(self) -> Iterator[list[str]]:
        """The lines logged by invocations this thread runs inside the block."""
        lines: list[str] = []
        self.local.lines = lines
        try:
            yield lines
        finally:
            self.local.lines = None


def tail(lines: list[str]) -> str:
    """The base64 of the last 4 KB of the log, as X-Amz-Log-Result carries it."""
    # Lambda's log events carry their own line end (REPORT ends in "\t\n"): the tail is
    # the events as written, one after the other.
    text = "".join(line if line.endswith("\n") else line + "\n" for line in lines).encode()
    return base64.b64encode(text[-TAIL_BYTES:]).decode()
