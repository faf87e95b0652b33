"""One execution environment: a worker process under awslambdaric and its Runtime API.

Lambda runs one event at a time per environment and reuses it warm — also after
a handled function error. Only a crash or a timeout ends it. Each invocation is
logged as Lambda logs it: the function's output between ``START`` and ``END``,
then ``REPORT`` with the durations and memory.
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localenv.runtime.runtime_api import Invocation, RuntimeApiServer

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit for on-demand functions


@dataclass(frozen=True)
class FunctionConfig:
    name: str
    arn: str
    handler: str
    runtime: str
    timeout: float
    memory_mb: int
    environment: dict[str, str]
    code_dir: Path
    log_group: str
    reserved_concurrency: int | None
    role: str = ""
    # The execution role's session credentials (Lambda sets them in every environment).
    credentials: tuple[tuple[str, str], ...] = ()


@dataclass
class Outcome:
    """What an invocation produced: a payload, or how it failed."""

    kind: str  # "ok" | "function_error" | "timeout" | "crash"
    payload: bytes = b""
    error: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    init_ms: float | None = None


LogSink = Callable[[str, str, list[tuple[int, str]]], None]


def now_ms() -> int:
    return int(time.time() * 1000)


class Environment:
    def __init__(
        self,
        config: FunctionConfig,
        executable: str,
        runtime_layer: Path,
        base_env: dict[str, str],
        logs: LogSink,
    ):
        self.config = config
        self.logs = logs
        self.api = RuntimeApiServer()
        self.api.start()
        self.stream = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self.started = time.monotonic()
        self.init_ms: float | None = None
        self.last_used = time.monotonic()
        self.dead = False
        self.output: list[str] = []
        self.output_lock = threading.Lock()
        env = {**base_env, **config.environment, **self.reserved(runtime_layer)}
        self.process = subprocess.Popen(  # noqa: S603 - our interpreter, the function's handler
            [executable, "-m", "awslambdaric", config.handler],
            cwd=config.code_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        threading.Thread(target=self.read_output, daemon=True).start()

    def reserved(self, runtime_layer: Path) -> dict[str, str]:
        """The variables Lambda sets itself; a function cannot override them."""
        c = self.config
        return {
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": c.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(c.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": c.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{c.runtime}",
            "_HANDLER": c.handler,
            "LAMBDA_TASK_ROOT": str(c.code_dir),
            "LAMBDA_RUNTIME_DIR": str(runtime_layer),
            "PYTHONPATH": str(runtime_layer),
            "PYTHONUNBUFFERED": "1",
            "TZ": ":UTC",
            **dict(c.credentials),
        }

    @property
    def pid(self) -> int:
        return self.process.pid

    def read_output(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            with self.output_lock:
                self.output.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def take_output(self) -> list[str]:
        """Lines printed so far, once the pipe is drained (output precedes the response)."""
        stdout = self.process.stdout
        deadline = time.monotonic() + 0.05
        while stdout is not None and time.monotonic() < deadline:
            readable, _, _ = select.select([stdout], [], [], 0)
            if not readable:
                break
            time.sleep(0.001)
        with self.output_lock:
            lines, self.output = self.output, []
        return lines

    def wait_ready(self) -> dict[str, Any] | None:
        """Wait for the first poll of the Runtime API; return the init error, if any."""
        deadline = time.monotonic() + INIT_TIMEOUT_SECONDS
        while not self.api.first_poll.wait(0.01):
            if self.process.poll() is not None or time.monotonic() > deadline:
                return {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "Runtime exited before it was ready",
                }
        self.init_ms = (time.monotonic() - self.started) * 1000
        return self.api.init_error

    def invoke(self, payload: bytes, request_id: str) -> Outcome:
        cold = self.init_ms is None
        init_error = self.wait_ready() if cold else None
        start_ms = now_ms()
        lines = [(start_ms, line) for line in self.take_output()]  # init output comes first
        lines.append((start_ms, f"START RequestId: {request_id} Version: $LATEST"))
        outcome = (
            Outcome("crash", error=init_error) if init_error else self.run(payload, request_id)
        )
        end_ms = now_ms()
        lines += [(end_ms, line) for line in self.take_output()]
        if outcome.kind == "timeout":
            lines.append(
                (
                    end_ms,
                    f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} "
                    f"{request_id} Task timed out after {self.config.timeout:.2f} seconds",
                )
            )
        outcome.duration_ms = outcome.duration_ms or float(end_ms - start_ms)
        outcome.init_ms = self.init_ms if cold else None
        lines.append((end_ms, f"END RequestId: {request_id}"))
        lines.append((end_ms, self.report(request_id, outcome)))
        self.logs(self.config.log_group, self.stream, lines)
        self.last_used = time.monotonic()
        return outcome

    def run(self, payload: bytes, request_id: str) -> Outcome:
        deadline_ms = now_ms() + int(self.config.timeout * 1000)
        invocation = Invocation(
            request_id,
            payload,
            deadline_ms,
            self.config.arn,
            f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};Sampled=0",
        )
        begun = time.monotonic()
        self.api.pending.put(invocation)
        while not invocation.done.wait(0.005):
            if self.process.poll() is not None:
                self.dead = True
                return Outcome(
                    "crash",
                    error={
                        "errorType": "Runtime.ExitError",
                        "errorMessage": "Runtime exited during the invocation",
                    },
                )
            if time.monotonic() - begun >= self.config.timeout:
                self.kill()
                return Outcome("timeout", duration_ms=self.config.timeout * 1000)
        elapsed = (time.monotonic() - begun) * 1000
        if invocation.error is not None:
            return Outcome("function_error", error=invocation.error, duration_ms=elapsed)
        return Outcome("ok", payload=invocation.response or b"", duration_ms=elapsed)

    def report(self, request_id: str, outcome: Outcome) -> str:
        parts = [
            f"REPORT RequestId: {request_id}",
            f"Duration: {outcome.duration_ms:.2f} ms",
            f"Billed Duration: {math.ceil(outcome.duration_ms)} ms",
            f"Memory Size: {self.config.memory_mb} MB",
            f"Max Memory Used: {self.max_memory_mb()} MB",
        ]
        if outcome.init_ms is not None:
            parts.append(f"Init Duration: {outcome.init_ms:.2f} ms")
        return "\t".join(parts)

    def max_memory_mb(self) -> int:
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return 0

    def kill(self) -> None:
        self.dead = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.api.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.kill()
        else:
            self.api.stop()
        self.dead = True
