"""A standby is a real worker in its sandbox that has bootstrapped the runtime and holds
before the function's init: the handler's module is imported on the first invocation,
whose REPORT carries the Init Duration, and the runtime hands it out then starts the next."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from localenv.runtime import interpreters
from localenv.runtime.environment import Environment, FunctionConfig, OutcomeKind
from localenv.runtime.pool import Runtime
from tests.template_model import ROOT

MODULE = """
print("module imported")

def handler(event, context):
    import os
    return {"pid": os.getpid()}
"""


@pytest.fixture(scope="module")
def runtime_for() -> tuple[str, Path]:
    interpreter = interpreters.interpreter_for("python3.12")
    return interpreter.executable, interpreters.runtime_layer(
        interpreter, ROOT / ".localenv" / "cache"
    )


def config(code: Path) -> FunctionConfig:
    (code / "app.py").write_text(MODULE)
    return FunctionConfig(
        name="standby-fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:standby-fn",
        handler="app.handler",
        runtime="python3.12",
        timeout=30.0,
        memory_mb=128,
        environment={},
        code_dir=code,
        log_group="/aws/lambda/standby-fn",
        reserved_concurrency=None,
    )


class Logs:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, _group: str, _stream: str, lines: list[tuple[int, str]]) -> None:
        self.lines += [line for _, line in lines]


@pytest.fixture
def environment(tmp_path: Path, runtime_for: tuple[str, Path]) -> Iterator[Environment]:
    (tmp_path / "code").mkdir()
    env = Environment(config(tmp_path / "code"), *runtime_for, {}, Logs())
    yield env
    env.stop()


def nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def test_the_function_is_not_initialised_until_the_gate_opens(environment: Environment) -> None:
    environment.start()
    environment.background()
    assert environment.wait_runtime()  # the runtime is up and holds at the gate
    assert environment.take_output() == []  # the handler's module was not imported
    if os.geteuid() == 0:
        assert nice(environment.pid) == 19  # in the background meanwhile
    environment.begin()
    assert nice(environment.pid) == os.getpriority(os.PRIO_PROCESS, 0)
    outcome = environment.invoke(b"{}", "req-1")
    assert outcome.kind is OutcomeKind.OK, outcome
    assert outcome.init_ms is not None and outcome.init_ms > 0
    logs = environment.logs
    assert isinstance(logs, Logs)
    # The module's import (its INIT) ran on this invocation, before START, as on AWS.
    assert logs.lines.index("module imported\n") < next(
        i for i, line in enumerate(logs.lines) if line.startswith("START")
    )
    assert "Init Duration:" in logs.lines[-1]


def test_an_environment_started_on_demand_runs_through_the_gate(
    environment: Environment,
) -> None:
    environment.start()
    environment.begin()  # before the runtime has reached the gate
    outcome = environment.invoke(b"{}", "req-1")
    assert outcome.kind is OutcomeKind.OK, outcome
    assert environment.invoke(b"{}", "req-2").init_ms is None  # warm


def test_the_runtime_hands_out_the_standby_and_starts_the_next(
    tmp_path: Path, runtime_for: tuple[str, Path]
) -> None:
    fn = config(tmp_path)
    runtime = Runtime(lambda _r: runtime_for, {}, Logs())
    runtime.configure([fn])
    assert runtime.pids() == []  # nothing before start()
    runtime.start()
    try:
        standby = ready_pid(runtime, {None})
        first = runtime.invoke(fn.name, b"{}")
        assert first.cold and first.outcome.payload == f'{{"pid": {standby}}}'.encode()
        following = ready_pid(runtime, {None, standby})  # the next cold start's
        pids = runtime.pids()
        assert standby in pids and following in pids
    finally:
        runtime.stop()
    assert runtime.pids() == []


def test_without_standbys_no_worker_runs_before_an_invocation(
    tmp_path: Path, runtime_for: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCALENV_STANDBY", "off")
    fn = config(tmp_path)
    runtime = Runtime(lambda _r: runtime_for, {}, Logs())
    runtime.configure([fn])
    runtime.start()
    try:
        assert runtime.pids() == []
        assert runtime.invoke(fn.name, b"{}").cold
        assert len(runtime.pids()) == 1
    finally:
        runtime.stop()


def ready_pid(runtime: Runtime, not_in: set[int | None]) -> int:
    """The pid of the function's standby once it is up (and not one of ``not_in``)."""
    done = threading.Event()
    deadline = time.monotonic() + 30
    while not done.wait(0.05) and time.monotonic() < deadline:
        env = runtime.standbys.ready.get("standby-fn")
        if env is not None and env.pid not in not_in:
            return env.pid
    raise AssertionError("no standby came up")


LOUD = """
import sys

def handler(event, context):
    for n in range(event["lines"]):
        print(f"line {n} " + "x" * 200)
    sys.stdout.flush()
    return {"printed": event["lines"]}
"""


class BusyEnvironment(Environment):
    """An environment on a busy machine: its reader takes a while over each chunk."""

    def add_output(self, raw_lines: list[bytes], ended: bool = False) -> None:
        time.sleep(0.02)
        super().add_output(raw_lines, ended)


def test_all_a_function_printed_is_logged_before_its_end_line(
    tmp_path: Path, runtime_for: tuple[str, Path]
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    logs = Logs()
    fn = config(code)
    (code / "app.py").write_text(LOUD)
    environment = BusyEnvironment(fn, *runtime_for, {}, logs)
    try:
        environment.start()
        environment.foreground()
        environment.begin()
        for request, count in (("req-1", 3000), ("req-2", 1)):  # ~600 KB: ten pipe buffers
            logs.lines.clear()
            assert (
                environment.invoke(f'{{"lines": {count}}}'.encode(), request).kind is OutcomeKind.OK
            )
            printed = [line for line in logs.lines if line.startswith("line ")]
            assert len(printed) == count
            assert logs.lines.index(printed[-1]) < next(
                i for i, line in enumerate(logs.lines) if line.startswith("END RequestId")
            )
    finally:
        environment.stop()
