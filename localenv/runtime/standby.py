"""Runtimes started ahead of the invocation that needs them; the function's INIT is not.

Lambda's Init phase is three steps: start extensions, bootstrap the runtime (Runtime init),
run the function's static code (Function init); Init Duration counts all three
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
Locally, the first two cost the harness more than the function: building the sandbox's
mount namespace, starting the interpreter, importing awslambdaric. So each function keeps
one worker started up to there, holding at a gate before awslambdaric imports the handler.
A cold start takes it, opens the gate, and the handler's module is imported then, on the
invocation that needs it, as on AWS; a new standby is started for the next cold start.
An environment that was never invoked never ran a line of the function's code.

Init Duration still counts both: the runtime's start, at the CPU time the worker reports
(it ran in the background at nice 19, so its wall time would measure how busy the machine
was), plus the function's init from the gate to the first poll of the Runtime API; the
wait at the gate is not counted. Lambda too "occasionally pre-initializes execution
environments" of on-demand functions (same page); this goes less far: never past the
runtime's bootstrap.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from localenv.runtime.lambda_logs import dated_today

if TYPE_CHECKING:
    from localenv.runtime.environment import Environment, FunctionConfig

# The worker's first code: what Lambda's bootstrap loads before the function's init; then
# it reports the CPU seconds its start took (exec'd launchers included) on the descriptor
# it inherited (argv[1]) and waits there; on "g" it closes it and runs awslambdaric exactly
# as `python -m awslambdaric HANDLER` runs (sys.argv and sys.path[0] as -m sets them).
# Only modules that are loaded anyway at that point (os, runpy, sys, time) come before it.
GATE = (
    "import os, runpy, sys, time; import awslambdaric.bootstrap; gate = int(sys.argv[1]); "
    "os.write(gate, b'%.6f\\n' % time.process_time()); go = os.read(gate, 1) == b'g'; "
    "os.close(gate); go or sys.exit(0); sys.argv[:] = [sys.argv[0], sys.argv[2]]; "
    "sys.path[0] = os.getcwd(); "
    "runpy.run_module('awslambdaric', run_name='__main__', alter_sys=True)"
)


LOWEST_PRIORITY = 19  # nice(1)


def gate_argv(descriptor: int, handler: str) -> list[str]:
    """Interpreter arguments: the runtime waits at the gate on ``descriptor``."""
    return ["-c", GATE, str(descriptor), handler]


class Gate:
    """The harness's end of the descriptor a worker's runtime reports to and waits on."""

    def __init__(self) -> None:
        self.runtime_cpu_s: float | None = None  # a waited-for start, in CPU seconds
        self.priority: int | None = None  # the CPU priority to give back, if lowered
        self.opened = 0.0
        self.end: socket.socket | None = None

    def start(self) -> socket.socket:
        """A connected pair: this end is kept, the returned one goes to the worker."""
        self.end, worker_end = socket.socketpair()
        return worker_end

    @property
    def connected(self) -> socket.socket:
        assert self.end is not None, "start() first"
        return self.end

    def wait(self, timeout: float) -> bool:
        """Read the runtime's report (it is at the gate); False if it died or hung."""
        end = self.connected
        end.settimeout(timeout)
        report = b""
        with contextlib.suppress(OSError):
            while not report.endswith(b"\n") and (chunk := end.recv(64)):
                report += chunk
        try:
            self.runtime_cpu_s = float(report)
        except ValueError:
            return False
        return True

    def background(self, group: int) -> None:
        """The lowest CPU priority until foreground(): a standby must not slow the
        invocations running meanwhile. Only where it can be raised again (as root)."""
        if os.geteuid() != 0:
            return
        with contextlib.suppress(OSError):  # the group is gone: wait() says so
            self.priority = os.getpriority(os.PRIO_PROCESS, 0)
            os.setpriority(os.PRIO_PGRP, group, LOWEST_PRIORITY)

    def foreground(self, group: int) -> None:
        """The harness's own CPU priority again: an invocation needs this environment."""
        if self.priority is not None:
            with contextlib.suppress(OSError):
                os.setpriority(os.PRIO_PGRP, group, self.priority)
            self.priority = None

    def open(self, group: int) -> None:
        """Let the runtime import the handler. The end stays open until close(): a runtime
        still starting writes its report to it."""
        self.foreground(group)
        self.opened = time.monotonic()
        with contextlib.suppress(OSError):  # a worker gone already: wait_ready says so
            self.connected.sendall(b"g")

    def init_duration_s(self, started: float) -> float:
        """From the start to now (the first poll); for a standby, its start counts at its
        CPU time (it ran in the background, at low priority), its wait at the gate not at all."""
        if self.runtime_cpu_s is None:
            return time.monotonic() - started
        return self.runtime_cpu_s + time.monotonic() - self.opened

    def close(self) -> None:
        if self.end is not None:
            self.end.close()


class Standbys:
    """One environment per function, started up to the gate, ready for its next cold start."""

    def __init__(self, launch: Callable[[FunctionConfig], Environment]):
        self.launch = launch  # a started environment whose gate is still closed
        self.ready: dict[str, Environment] = {}
        self.starting: dict[str, Starting] = {}
        self.lock = threading.Lock()
        self.stopped = False

    def prepare(self, config: FunctionConfig) -> None:
        """Start one for this function in the background, unless one is up or starting
        (a debugged function's environments start on demand, under debugpy)."""
        with self.lock:
            wanted = config.name not in (*self.ready, *self.starting)
            if config.debug_port is not None or self.stopped or not wanted:
                return
            starting = self.starting[config.name] = Starting()
        threading.Thread(
            target=self.fill, args=(config, starting), daemon=True, name="standby"
        ).start()

    def fill(self, config: FunctionConfig, starting: Starting) -> None:
        try:
            env = self.launch(config)
        except Exception:  # the cold start that needs it launches one itself, and fails loudly
            self.settle(config.name, starting, None)
            return
        with self.lock:
            if not self.stopped:
                starting.env = env  # from now on stop() stops it
            if not starting.needed:
                env.background()
        if starting.env is None:
            env.stop()
            self.settle(config.name, starting, None)
            return
        up = env.wait_runtime()
        if self.settle(config.name, starting, env if up else None) and not up:
            env.stop()  # died or hung while starting

    def settle(self, name: str, starting: Starting, env: Environment | None) -> bool:
        """Keep the environment (``None``: it failed); False if stop() took it meanwhile."""
        with self.lock:
            mine = self.starting.get(name) is starting
            if mine:
                del self.starting[name]
                if env is not None:
                    self.ready[name] = env
        starting.done.set()
        return mine

    def take(self, config: FunctionConfig) -> Environment | None:
        """The standby for exactly this configuration, once up (one still starting is moved
        to the foreground and waited for); it is no longer kept."""
        if config.debug_port is not None:
            return None
        with self.lock:
            starting = self.starting.get(config.name)
            if starting is not None:
                starting.needed = True
                if starting.env is not None:
                    starting.env.foreground()
        if starting is not None:
            starting.done.wait(INIT_WAIT_SECONDS)
        with self.lock:
            env = self.ready.pop(config.name, None)
        # Lambda dates a log stream when its environment starts: a standby from yesterday
        # would log under yesterday's date.
        if env is not None and (
            env.config != config or env.exited() or not dated_today(env.stream)
        ):
            env.stop()
            return None
        return env

    def retain(self, configs: list[FunctionConfig]) -> None:
        """Stop the standbys of functions removed or changed."""
        with self.lock:
            stale = [e for e in self.ready.values() if e.config not in configs]
            self.ready = {n: e for n, e in self.ready.items() if e not in stale}
        for env in stale:
            env.stop()

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            starting = [s.env for s in self.starting.values() if s.env is not None]
            envs = [*self.ready.values(), *starting]
            self.ready, self.starting = {}, {}
        for env in envs:
            env.stop()

    def pids(self) -> list[int]:
        with self.lock:
            return [e.pid for e in self.ready.values()]


INIT_WAIT_SECONDS = 10.0  # as long as an on-demand runtime may take to start


@dataclass
class Starting:
    """A standby on its way: its environment once launched, and whether it has settled."""

    env: Environment | None = None
    needed: bool = False  # a cold start waits for it: no lower priority
    done: threading.Event = field(default_factory=threading.Event)
