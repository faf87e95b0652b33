"""Standbys: one runtime per function started ahead of its next cold start, handed out once,
never for another configuration. The environments are in-memory fakes (no process)."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

from localenv.runtime import lambda_logs
from localenv.runtime.environment import FunctionConfig
from localenv.runtime.standby import GATE, Gate, Standbys, gate_argv


def config(name: str = "fn", **changes: object) -> FunctionConfig:
    base = FunctionConfig(
        name=name,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}",
        handler="h.handler",
        runtime="python3.12",
        timeout=3.0,
        memory_mb=128,
        environment={"A": "1"},
        code_dir=Path("."),
        log_group=f"/aws/lambda/{name}",
        reserved_concurrency=None,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


class FakeEnvironment:
    """Reaches the gate at once (or never, ``up=False``); records what was done to it."""

    def __init__(self, config: FunctionConfig, pid: int, up: bool, release: threading.Event):
        self.config, self.pid, self.up, self.release = config, pid, up, release
        self.stream = lambda_logs.stream_name(f"{pid:032x}")
        self.stopped = self.died = False
        self.backgrounded, self.moved = threading.Event(), threading.Event()

    def wait_runtime(self) -> bool:
        self.release.wait(10)
        return self.up

    def background(self) -> None:
        self.backgrounded.set()

    def foreground(self) -> None:
        self.moved.set()

    def exited(self) -> bool:
        return self.died or self.stopped

    def stop(self) -> None:
        self.stopped = True


class Launcher:
    """Launches fakes; with ``release``, they reach the gate only once it is set."""

    def __init__(self, up: bool = True, release: threading.Event | None = None) -> None:
        self.launched: list[FakeEnvironment] = []
        self.up = up
        self.release = release or threading.Event()
        if release is None:
            self.release.set()
        self.launching = threading.Event()

    def __call__(self, config: FunctionConfig) -> FakeEnvironment:
        env = FakeEnvironment(config, 100 + len(self.launched), self.up, self.release)
        self.launched.append(env)
        self.launching.set()
        return env


def standbys(launcher: Launcher) -> Standbys:
    return Standbys(launcher)  # type: ignore[arg-type]


def settle() -> None:
    """Wait for the background launches of the test (each runs in a "standby" thread)."""
    for thread in threading.enumerate():
        if thread.name == "standby":
            thread.join(timeout=10)


def test_a_standby_starts_in_the_background_and_is_handed_out_once() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config())
    settle()
    (env,) = launcher.launched
    assert env.backgrounded.is_set() and pool.pids() == [env.pid]
    taken: object = pool.take(config())
    assert taken is env
    assert pool.take(config()) is None and pool.pids() == []


def test_a_cold_start_waits_for_the_standby_still_starting_moved_to_the_foreground() -> None:
    release = threading.Event()
    launcher = Launcher(release=release)
    pool = standbys(launcher)
    pool.prepare(config())
    assert launcher.launching.wait(10)
    env = launcher.launched[0]
    assert env.backgrounded.wait(10)
    taken: list[object] = []
    taker = threading.Thread(target=lambda: taken.append(pool.take(config())))
    taker.start()
    assert env.moved.wait(10)  # its priority is raised before the cold start waits for it
    release.set()
    taker.join(10)
    assert taken == [env] and len(launcher.launched) == 1


def test_one_standby_per_function_however_often_it_is_prepared() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    for _ in range(3):
        pool.prepare(config())
        pool.prepare(config("other"))
    settle()
    assert sorted(e.config.name for e in launcher.launched) == ["fn", "other"]


def test_a_standby_never_serves_another_configuration_and_is_stopped() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config())
    settle()
    assert pool.take(config(environment={"A": "2"})) is None
    assert launcher.launched[0].stopped


def test_changed_functions_lose_their_standby_when_the_stack_is_reconfigured() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config())
    pool.prepare(config("kept"))
    settle()
    pool.retain([config("kept"), config(timeout=9.0)])
    changed, kept = sorted(launcher.launched, key=lambda e: e.config.name)
    assert changed.stopped and not kept.stopped
    assert pool.pids() == [kept.pid]


def test_a_debugged_function_gets_no_standby_and_keeps_the_plain_one() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config(debug_port=5890))
    settle()
    assert launcher.launched == []
    pool.prepare(config())
    settle()
    assert pool.take(config(debug_port=5890)) is None
    assert not launcher.launched[0].stopped and pool.pids() == [launcher.launched[0].pid]


def test_a_standby_that_died_or_never_came_up_is_not_handed_out() -> None:
    launcher = Launcher(up=False)
    pool = standbys(launcher)
    pool.prepare(config())
    settle()
    assert pool.take(config()) is None and launcher.launched[0].stopped
    launcher.up = True
    pool.prepare(config())
    settle()
    launcher.launched[1].died = True
    assert pool.take(config()) is None


def test_a_standby_started_on_another_day_is_not_handed_out() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config())
    settle()
    (env,) = launcher.launched
    env.stream = "2001/01/01/[$LATEST]" + "0" * 32  # Lambda dates the stream at the start
    assert pool.take(config()) is None and env.stopped


def test_stop_stops_every_standby_and_prepares_no_more() -> None:
    launcher = Launcher()
    pool = standbys(launcher)
    pool.prepare(config())
    settle()
    pool.stop()
    pool.prepare(config("late"))
    settle()
    assert [e.stopped for e in launcher.launched] == [True]
    assert pool.pids() == []


def test_a_standbys_wait_at_the_gate_is_not_init_and_its_start_counts_at_cpu_time() -> None:
    gate = Gate()
    gate.runtime_cpu_s = 0.04
    started = time.monotonic() - 100.0  # launched long ago, waiting at the gate since
    gate.opened = time.monotonic()
    assert 0.04 <= gate.init_duration_s(started) < 100.0
    on_demand = Gate()  # never waited for: from the launch to the first poll
    assert on_demand.init_duration_s(started) >= 100.0


def test_the_runtime_imports_the_handler_only_behind_the_gate() -> None:
    argv = gate_argv(7, "app.handler")
    assert argv == ["-c", GATE, "7", "app.handler"]
    before, after = GATE.split("os.read(gate, 1)")
    assert "import awslambdaric.bootstrap" in before and "app" not in before
    assert "run_module('awslambdaric'" in after  # what `python -m awslambdaric` runs
