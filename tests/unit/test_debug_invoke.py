"""`localenv invoke --debug-port`: the pool runs a debugged invocation in a one-off
environment under debugpy and stops it afterwards; plain invocations keep warm ones.
The environments are in-memory fakes that record what they were started with."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from localenv.runtime import debugger
from localenv.runtime.environment import FunctionConfig, Outcome, OutcomeKind
from localenv.runtime.pool import FunctionPool, ThrottledError


def config(reserved: int | None = None) -> FunctionConfig:
    return FunctionConfig(
        name="fn",
        arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
        handler="h.handler",
        runtime="python3.12",
        timeout=1.0,
        memory_mb=128,
        environment={},
        code_dir=Path("."),
        log_group="/aws/lambda/fn",
        reserved_concurrency=reserved,
    )


class FakeEnvironment:
    """Answers every invocation with ok; remembers its configuration and whether it stopped."""

    def __init__(self, config: FunctionConfig, pid: int):
        self.config, self.pid = config, pid
        self.dead = False
        self.stopped = False
        self.stream = "s"

    def invoke(self, payload: bytes, _request_id: str) -> Outcome:
        return Outcome(OutcomeKind.OK, payload=payload)

    def stop(self) -> None:
        self.stopped = self.dead = True


class Spawner:
    def __init__(self) -> None:
        self.spawned: list[FakeEnvironment] = []

    def __call__(self, config: FunctionConfig) -> FakeEnvironment:
        env = FakeEnvironment(config, len(self.spawned) + 1)
        self.spawned.append(env)
        return env


def test_a_debugged_invocation_runs_in_a_new_environment_under_debugpy_then_stops_it() -> None:
    spawner = Spawner()
    pool = FunctionPool(config(), spawner)
    pool.invoke(b"{}")  # one warm environment, idle now
    debugged = pool.invoke(b'{"a": 1}', debug_port=5891)
    assert debugged.cold and debugged.outcome.payload == b'{"a": 1}'
    warm, one_off = spawner.spawned
    assert (warm.config.debug_port, one_off.config.debug_port) == (None, 5891)
    assert one_off.stopped and not warm.stopped
    assert pool.pids() == [warm.pid]  # the warm one is kept, the debugged one is gone
    assert not pool.invoke(b"{}").cold  # and the next plain invocation reuses it


def test_a_debugged_invocation_counts_against_reserved_concurrency() -> None:
    spawner = Spawner()
    pool = FunctionPool(config(reserved=1), spawner)
    env, _ = pool.acquire()  # the one environment reserved concurrency allows is busy
    with pytest.raises(ThrottledError):
        pool.invoke(b"{}", debug_port=5891)
    pool.release(env)
    assert [e.config.debug_port for e in spawner.spawned] == [None]


def test_up_debug_and_invoke_debug_port_share_one_configuration_step() -> None:
    target = debugger.DebugTarget.parse("fn:5892")
    (applied,) = debugger.apply(target, [config()])
    assert applied == debugger.debug_config(config(), 5892)
    assert debugger.debugger_argv(applied.debug_port) == [
        "-m", "debugpy", "--listen", "127.0.0.1:5892", "--wait-for-client",
    ]  # fmt: skip


def test_a_debug_port_in_use_is_refused_before_anything_runs() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(debugger.DebugPortInUseError, match=f"127.0.0.1:{port} is in use"):
            debugger.check_port_free(port)
