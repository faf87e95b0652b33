"""Environments per function: warm reuse, concurrency limit, throttling, idle reaping."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from localenv.errors import LocalenvError
from localenv.runtime.debugger import debug_config
from localenv.runtime.environment import Environment, FunctionConfig, LogSink, Outcome, now_ms
from localenv.runtime.faults import RuntimeFaults
from localenv.runtime.runtime_api import RESPONSE_TOO_LARGE
from localenv.runtime.standby import Standbys

# Lambda's synchronous invocation payload limit: 6 MB, counted as 6,291,456 bytes for a
# request (the response limit, 6,291,556, is in runtime_api). Over it, Invoke answers 413
# RequestTooLargeException. https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024
DEFAULT_IDLE_SECONDS = 300.0
# Without reserved concurrency a function shares the account's pool; locally, cap it.
UNRESERVED_LIMIT = 10
STANDBY_SWITCH = "LOCALENV_STANDBY"


class ThrottledError(LocalenvError):
    """Every environment the function may have is busy (Lambda's TooManyRequestsException)."""


class RequestTooLargeError(LocalenvError):
    """The invocation payload is over Lambda's limit (Lambda's RequestTooLargeException)."""

    status = 413
    error_type = "RequestTooLargeException"


def check_request_size(payload: bytes) -> None:
    if len(payload) > PAYLOAD_LIMIT_BYTES:
        raise RequestTooLargeError(
            f"Request must be smaller than {PAYLOAD_LIMIT_BYTES} bytes "
            "for the InvokeFunction operation"
        )


@dataclass
class Invoked:
    outcome: Outcome
    request_id: str
    cold: bool
    concurrency: int = 1  # environments busy when it started, itself included


class FunctionPool:
    def __init__(
        self,
        config: FunctionConfig,
        spawn: Callable[[FunctionConfig], Environment],
        faults: RuntimeFaults | None = None,
    ):
        self.config = config
        self.spawn = spawn
        self.faults = faults or RuntimeFaults()
        self.idle: list[Environment] = []
        self.busy: set[Environment] = set()
        self.starting = 0
        self.lock = threading.Lock()
        limit = config.reserved_concurrency
        self.limit = UNRESERVED_LIMIT if limit is None else limit
        if config.debug_port is not None:
            self.limit = min(self.limit, 1)  # one environment listens on the debug port

    def acquire(self, debug_port: int | None = None) -> tuple[Environment, bool]:
        """A warm environment, or a new one; a debugged invocation always gets a new one."""
        with self.lock:
            if self.idle and debug_port is None:
                env = self.idle.pop()
                self.busy.add(env)
                return env, False
            if len(self.busy) + self.starting >= self.limit:
                raise ThrottledError(f"{self.config.name}: {self.limit} environments busy")
            self.starting += 1  # hold the slot while the environment starts
        config = self.config if debug_port is None else debug_config(self.config, debug_port)
        try:
            self.faults.slow_cold_start(self.config.name)
            env = self.spawn(config)
        finally:
            with self.lock:
                self.starting -= 1
        with self.lock:
            self.busy.add(env)
        return env, True

    def release(self, env: Environment, keep: bool = True) -> None:
        with self.lock:
            self.busy.discard(env)
            if keep and not env.dead:
                self.idle.append(env)
                return
        if not keep:
            env.stop()

    def invoke(
        self, payload: bytes, request_id: str | None = None, debug_port: int | None = None
    ) -> Invoked:
        """One invocation; with ``debug_port``, in a one-off environment under debugpy
        (`localenv invoke --debug-port`), stopped once the invocation is done."""
        check_request_size(payload)
        # Lambda keeps an async event's request id across its retries.
        request_id = request_id or str(uuid.uuid4())
        env, cold = self.acquire(debug_port)
        with self.lock:
            concurrency = len(self.busy)
        self.faults.kill_during(self.config.name, env.pid)
        try:
            outcome = env.invoke(payload, request_id)
        finally:
            self.release(env, keep=debug_port is None)
        if outcome.error.get("errorType") == RESPONSE_TOO_LARGE["errorType"]:
            # The caller gets the function error; the function's log says why.
            line = f"{request_id} ERROR {RESPONSE_TOO_LARGE['errorMessage']}\n"
            env.logs(self.config.log_group, env.stream, [(now_ms(), line)])
        return Invoked(outcome, request_id, cold, concurrency)

    def reap(self, idle_seconds: float) -> int:
        now = time.monotonic()
        with self.lock:
            stale = [e for e in self.idle if now - e.last_used > idle_seconds]
            self.idle = [e for e in self.idle if e not in stale]
        for env in stale:
            env.stop()
        return len(stale)

    def stop(self) -> None:
        with self.lock:
            envs = [*self.idle, *self.busy]
            self.idle, self.busy = [], set()
        for env in envs:
            env.stop()

    def pids(self) -> list[int]:
        with self.lock:
            return [e.pid for e in (*self.idle, *self.busy)]


class Runtime:
    """All functions of the stack, by name."""

    def __init__(
        self,
        executable_for: Callable[[str], tuple[str, Path]],
        base_env: dict[str, str],
        logs: LogSink,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
    ):
        self.executable_for = executable_for
        self.base_env = base_env
        self.logs = logs
        self.idle_seconds = idle_seconds
        self.pools: dict[str, FunctionPool] = {}
        self.faults = RuntimeFaults()  # `localenv faults add --service lambda ...`
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.reaper_thread: threading.Thread | None = None
        self.standbys = Standbys(self.launch)
        # LOCALENV_STANDBY=off: every cold start launches its runtime then (benchmarks compare).
        self.standby = os.environ.get(STANDBY_SWITCH) != "off"

    def start(self) -> None:
        """Reap idle environments from now on (Lambda retires idle sandboxes the same way),
        and keep a runtime started for each function's next cold start (see standby)."""
        if self.reaper_thread is None:
            self.reaper_thread = threading.Thread(target=self.reaper, daemon=True, name="reaper")
            self.reaper_thread.start()
        self.prepare()

    def launch(self, config: FunctionConfig) -> Environment:
        """A new environment, its runtime starting; the function's init waits for begin()."""
        executable, layer = self.executable_for(config.runtime)
        env = Environment(config, executable, layer, self.base_env, self.logs)
        env.start()
        return env

    def spawn(self, config: FunctionConfig) -> Environment:
        """The environment of a cold start: the function's standby if one is up, else a new
        one; its init begins now. Another standby starts for the next cold start."""
        env = self.standbys.take(config) or self.launch(config)
        env.begin()
        if self.standby:
            self.standbys.prepare(config)
        return env

    def prepare(self) -> None:
        """A standby for each function configured (none for the retired ones)."""
        with self.lock:
            configs = [pool.config for pool in self.pools.values()]
        self.standbys.retain(configs)
        if not self.standby or self.reaper_thread is None:  # off, or not started
            return
        for runtime in sorted({c.runtime for c in configs}):
            # Here, once: not in each standby's thread (it installs the runtime layer and
            # prints what differs from AWS).
            self.executable_for(runtime)
        for config in configs:
            self.standbys.prepare(config)

    def configure(self, configs: list[FunctionConfig]) -> None:
        """Use these function configurations; environments of changed functions are recycled."""
        with self.lock:
            old = self.pools
            self.pools = {
                c.name: old[c.name]
                if c.name in old and old[c.name].config == c
                else FunctionPool(c, self.spawn, self.faults)
                for c in configs
            }
            retired = [p for p in old.values() if p not in self.pools.values()]
        for pool in retired:
            pool.stop()
        self.prepare()

    def invoke(
        self,
        function_name: str,
        payload: bytes,
        request_id: str | None = None,
        debug_port: int | None = None,
    ) -> Invoked:
        with self.lock:
            pool = self.pools.get(function_name)
        if pool is None:
            raise KeyError(function_name)
        return pool.invoke(payload, request_id, debug_port)

    def reaper(self) -> None:
        while not self.stopping.wait(1.0):
            with self.lock:
                pools = list(self.pools.values())
            for pool in pools:
                pool.reap(self.idle_seconds)

    def recycle(self) -> None:
        with self.lock:
            pools = list(self.pools.values())
        for pool in pools:
            pool.stop()

    def stop(self) -> None:
        self.stopping.set()
        self.standbys.stop()
        self.recycle()

    def pids(self) -> list[int]:
        """Every worker: the functions' environments and the standbys."""
        with self.lock:
            pids = [pid for pool in self.pools.values() for pid in pool.pids()]
        return pids + self.standbys.pids()
