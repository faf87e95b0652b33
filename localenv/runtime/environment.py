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
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from localenv.runtime import lambda_logs
from localenv.runtime.debugger import debugger_argv, debugger_layer
from localenv.runtime.interpreters import RUNTIME_PACKAGES
from localenv.runtime.runtime_api import Invocation, RuntimeApiServer
from localenv.runtime.sandbox import SandboxSpec, layout_of, make_writable, sandbox_for
from localenv.runtime.standby import Gate, gate_argv

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's init phase limit for on-demand functions
# How long an invocation's end waits for its output to be read (a busy machine may not
# schedule the reader at once; an idle pipe ends the wait at once).
DRAIN_SECONDS = 2.0


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
    ephemeral_mb: int = 512  # EphemeralStorage: the size of /tmp (Lambda's default 512 MB)
    debug_port: int | None = None  # run under debugpy, listening on 127.0.0.1:<port>


class OutcomeKind(Enum):
    """How an invocation ended: Lambda answers a payload, a function error (the handler
    raised or returned one), a timeout (the environment is killed) or a runtime exit."""

    OK = "ok"
    FUNCTION_ERROR = "function_error"
    TIMEOUT = "timeout"
    CRASH = "crash"


@dataclass
class Outcome:
    """What an invocation produced: a payload, or how it failed."""

    kind: OutcomeKind
    payload: bytes = b""
    error: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    init_ms: float | None = None


LogSink = Callable[[str, str, list[tuple[int, str]]], None]


def now_ms() -> int:
    return int(time.time() * 1000)


class Environment:
    """One worker; the constructor only stores configuration, ``start()`` launches it."""

    def __init__(
        self,
        config: FunctionConfig,
        executable: str,
        runtime_layer: Path,
        base_env: dict[str, str],
        logs: LogSink,
    ):
        self.config = config
        self.executable = executable
        self.runtime_layer = runtime_layer
        self.base_env = base_env
        self.logs = logs
        self.stream = lambda_logs.stream_name(uuid.uuid4().hex)
        self.init_ms: float | None = None
        self.started = 0.0
        self.gate = Gate()
        self.last_used = time.monotonic()
        self.dead = False
        self.peak_mb = 0
        self.output: list[str] = []
        # Guards ``output``; notified whenever the reader stores lines or ends.
        self.output_changed = threading.Condition()
        self.reading = False  # the reader took output from the pipe it has not stored yet
        self.output_ended = False

    def start(self) -> None:
        """Start the Runtime API server and the worker in its sandbox."""
        self.api = RuntimeApiServer()
        self.api.start()
        self.started = time.monotonic()
        self.workdir = Path(tempfile.mkdtemp(prefix="localenv-sandbox-"))
        self.sandbox = sandbox_for(self.spec())
        self.sandbox.prepare()
        env = {
            **self.base_env,
            "TZ": ":UTC",  # Lambda's default; TZ is not reserved, so the function may set it
            **self.sandbox.environment(),
            **self.config.environment,
            **self.reserved(),
        }
        with self.gate.start() as worker_end:
            self.process = subprocess.Popen(  # noqa: S603 - our interpreter, the function's handler
                self.sandbox.command(self.argv(worker_end.fileno())),
                cwd=self.sandbox.cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                pass_fds=() if self.debugging else (worker_end.fileno(),),
            )
        threading.Thread(target=self.read_output, daemon=True).start()

    def argv(self, gate: int) -> list[str]:
        """awslambdaric behind the gate (see standby); under debugpy, as debugpy runs it."""
        if self.debugging:
            debug = debugger_argv(self.config.debug_port)
            return [self.executable, *debug, "-m", "awslambdaric", self.config.handler]
        return [self.executable, *gate_argv(gate, self.config.handler)]

    def wait_runtime(self) -> bool:
        """Wait until the runtime has bootstrapped and holds at the gate; False if it died."""
        return self.gate.wait(INIT_TIMEOUT_SECONDS)

    def background(self) -> None:
        self.gate.background(self.pid)

    def foreground(self) -> None:
        self.gate.foreground(self.pid)

    def begin(self) -> None:
        """Open the gate: the function's init (its handler's import) starts now."""
        self.gate.open(self.pid)

    def spec(self) -> SandboxSpec:
        extra = (debugger_layer(self.executable, self.runtime_layer),) if self.debugging else ()
        root = self.workdir / "root"
        root.mkdir()
        return SandboxSpec(
            root,
            self.config.code_dir,
            self.runtime_layer,
            layout_of(self.executable),
            self.config.ephemeral_mb,
            extra,
        )

    @property
    def debugging(self) -> bool:
        return self.config.debug_port is not None

    def reserved(self) -> dict[str, str]:
        """The variables Lambda sets itself; a function cannot set them (refused at deploy)."""
        c = self.config
        return {
            "AWS_LAMBDA_RUNTIME_API": self.api.address,
            "AWS_LAMBDA_FUNCTION_NAME": c.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(c.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": c.log_group,
            "AWS_LAMBDA_LOG_STREAM_NAME": self.stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{c.runtime}",
            "_HANDLER": c.handler,
            "PYTHONUNBUFFERED": "1",
            **dict(c.credentials),
        }

    @property
    def pid(self) -> int:
        return self.process.pid

    def read_output(self) -> None:
        """Collect the worker's lines; ``reading`` is set from the moment output is taken
        from the pipe until it is in ``output`` (``take_output`` waits for both to settle)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        pending = b""
        with contextlib.suppress(OSError, ValueError):  # the pipe closed under us: done
            while True:
                select.select([fd], [], [])  # output waiting, or the end of the pipe
                with self.output_changed:
                    self.reading = True
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                *complete, pending = (pending + chunk).split(b"\n")
                self.add_output(complete)
        self.add_output([pending] if pending else [], ended=True)

    def add_output(self, raw_lines: list[bytes], ended: bool = False) -> None:
        lines = [lambda_logs.output_line(raw.decode("utf-8", "replace")) for raw in raw_lines]
        with self.output_changed:
            self.output.extend(lines)
            self.reading = False
            self.output_ended = self.output_ended or ended
            self.output_changed.notify_all()

    def take_output(self) -> list[str]:
        """Lines printed so far. A function's output precedes its response, so it is in
        the pipe or being read once the response is in: wait until neither (bounded),
        woken by the reader as it stores lines rather than polling."""
        stdout = self.process.stdout
        deadline = time.monotonic() + DRAIN_SECONDS
        with self.output_changed:
            while stdout is not None and not self.output_ended:
                readable, _, _ = select.select([stdout], [], [], 0)
                remaining = deadline - time.monotonic()
                if (not readable and not self.reading) or remaining <= 0:
                    break
                self.output_changed.wait(remaining)
            lines, self.output = self.output, []
        return lines

    def wait_ready(self) -> dict[str, Any] | None:
        """Wait for the first poll of the Runtime API; return the init error, if any."""
        # Under a debugger the process waits for the client before it starts: no init limit.
        limit = math.inf if self.debugging else INIT_TIMEOUT_SECONDS
        deadline = time.monotonic() + limit
        while not self.api.first_poll.wait(0.01):
            if self.exited() or time.monotonic() > deadline:
                # Lambda discards an environment whose runtime died during init; the
                # next invocation gets a new one (a reused dead worker would fail forever).
                self.dead = self.dead or self.exited()
                return {
                    "errorType": "Runtime.ExitError",
                    "errorMessage": "Runtime exited before it was ready",
                }
        self.init_ms = self.gate.init_duration_s(self.started) * 1000
        return self.api.init_error

    def invoke(self, payload: bytes, request_id: str) -> Outcome:
        cold = self.init_ms is None
        init_error = self.wait_ready() if cold else None
        start_ms = now_ms()
        lines = [(start_ms, self.init_start())] if cold else []
        lines += [(start_ms, line) for line in self.take_output()]  # init output comes first
        lines.append((start_ms, lambda_logs.start(request_id)))
        outcome = (
            Outcome(OutcomeKind.CRASH, error=init_error)
            if init_error
            else self.run(payload, request_id)
        )
        end_ms = now_ms()
        lines += [(end_ms, line) for line in self.take_output()]
        if outcome.kind is OutcomeKind.TIMEOUT:
            lines.append((end_ms, lambda_logs.timed_out(request_id, self.config.timeout)))
        outcome.duration_ms = outcome.duration_ms or float(end_ms - start_ms)
        outcome.init_ms = self.init_ms if cold else None
        lines.append((end_ms, lambda_logs.end(request_id)))
        lines.append((end_ms, self.report(request_id, outcome)))
        self.logs(self.config.log_group, self.stream, lines)
        self.last_used = time.monotonic()
        return outcome

    def init_start(self) -> str:
        region = self.base_env.get("AWS_REGION", "us-east-1")
        return lambda_logs.init_start(self.config.runtime, region, str(RUNTIME_PACKAGES))

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
        # As SAM does, a function under a debugger is never timed out (one steps through it).
        timeout = math.inf if self.debugging else self.config.timeout
        self.api.pending.put(invocation)
        while not invocation.done.wait(0.005):
            if self.exited():
                self.dead = True
                self.collect()
                return Outcome(OutcomeKind.CRASH, error=EXIT_ERROR)
            if time.monotonic() - begun >= timeout:
                break
        if not invocation.answered_by(begun + timeout):
            self.kill()
            return Outcome(OutcomeKind.TIMEOUT, duration_ms=self.config.timeout * 1000)
        elapsed = (time.monotonic() - begun) * 1000
        if invocation.error is not None:
            return Outcome(OutcomeKind.FUNCTION_ERROR, error=invocation.error, duration_ms=elapsed)
        return Outcome(OutcomeKind.OK, payload=invocation.response or b"", duration_ms=elapsed)

    def report(self, request_id: str, outcome: Outcome) -> str:
        c = self.config
        used = max(self.max_memory_mb(), self.peak_mb)
        return lambda_logs.report(
            request_id, outcome.duration_ms, c.memory_mb, used, outcome.init_ms
        )

    def max_memory_mb(self) -> int:
        return lambda_logs.peak_memory_mb(self.pid)

    def exited(self) -> bool:
        """Whether the worker has exited, without reaping it (its peak memory is read then)."""
        if self.process.returncode is not None:
            return True
        try:
            found = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return found is not None

    def collect(self) -> None:
        """Reap the worker and keep its peak memory (ru_maxrss, KiB) for the REPORT line."""
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ChildProcessError):
            _, status, usage = os.wait4(self.pid, 0)
            self.process.returncode = os.waitstatus_to_exitcode(status)
            self.peak_mb = max(self.peak_mb, math.ceil(usage.ru_maxrss / 1024))

    def kill(self) -> None:
        self.dead = True
        self.peak_mb = max(self.peak_mb, self.max_memory_mb())
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.collect()
        self.process.wait()
        self.api.stop()
        self.gate.close()

    def stop(self) -> None:
        if not self.exited():
            self.kill()
        else:
            self.collect()
            self.api.stop()
        self.dead = True
        self.gate.close()
        self.remove_workdir()

    def remove_workdir(self) -> None:
        if self.sandbox.kind == "fallback":
            make_writable(self.workdir)
        shutil.rmtree(self.workdir, ignore_errors=True)


EXIT_ERROR = {
    "errorType": "Runtime.ExitError",
    "errorMessage": "Runtime exited during the invocation",
}
