"""Constructors store configuration; ``start()`` does the work (moto's ThreadedMotoServer
shape). Constructing each part of the stack — and the whole stack — binds no socket,
starts no thread and spawns no process; ``start()`` then does."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from localenv import emulator, stack
from localenv.alarm_schedule import AlarmSchedule
from localenv.edge.backends import HttpBackend, MotoBackend
from localenv.edge.lambda_invoke import LambdaInvoke
from localenv.edge.server import Edge, EdgeHttpServer
from localenv.gateway.api_model import ApiModel
from localenv.gateway.core import Gateway
from localenv.gateway.deployments import DeploymentWatcher, SnapshotStore
from localenv.gateway.http_server import GatewayHttpServer
from localenv.gateway.requests import Request, Response
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi
from localenv.local_stack import LocalStack, RunOptions
from localenv.observe.alarm_engine import AlarmEngine
from localenv.observe.clock import Clock
from localenv.observe.control import ControlServer
from localenv.observe.metrics import MetricPublisher, MetricStore
from localenv.observe.notifications import Notifier
from localenv.pytest_plugin import MotoProcess, free_port
from localenv.runtime.async_invoke import AsyncQueue
from localenv.runtime.environment import Environment, FunctionConfig, Outcome
from localenv.runtime.log_shipper import LogShipper
from localenv.runtime.log_tail import LogTap
from localenv.runtime.pool import FunctionPool, Runtime
from localenv.runtime.runtime_api import RuntimeApiServer
from localenv.workspace import Workspace
from tests.template_model import ROOT

LISTEN = "0A"  # TCP state in /proc/net/tcp


def listening_inodes() -> set[str]:
    """Socket inodes of this process that are listening (IPv4 and IPv6)."""
    mine = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed since the listing (the listing's own descriptor)
        if target.startswith("socket:["):
            mine.add(target[8:-1])
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for row in Path(table).read_text().splitlines()[1:]:
            fields = row.split()
            if fields[3] == LISTEN and fields[9] in mine:
                listening.add(fields[9])
    return listening


def children() -> set[str]:
    found: set[str] = set()
    for task in os.listdir("/proc/self/task"):
        found.update(Path(f"/proc/self/task/{task}/children").read_text().split())
    return found


@contextmanager
def no_work() -> Iterator[None]:
    threads, sockets, processes = set(threading.enumerate()), listening_inodes(), children()
    yield
    assert set(threading.enumerate()) - threads == set(), "a constructor started a thread"
    assert listening_inodes() - sockets == set(), "a constructor bound a listening socket"
    assert children() - processes == set(), "a constructor spawned a process"


def options(tmp_path: Path) -> stack.StackOptions:
    return stack.StackOptions(root=ROOT, state_dir=tmp_path, api_port=free_port())


def no_logs(_group: str, _stream: str, _lines: list[tuple[int, str]]) -> None:
    pass


def local_api(tmp_path: Path) -> LocalApi:
    return LocalApi(
        Workspace(ROOT, tmp_path), tmp_path, "127.0.0.1", 0, IamGuard(Mode.OFF), Clock(), {}
    )


class Unused:
    """An AWS client the constructor under test must not call: any call fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"a constructor called the client's {name}")


def function_config(tmp: Path) -> FunctionConfig:
    return FunctionConfig(
        "fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", "h.handler", "python3.12",
        3.0, 128, {}, tmp, "/aws/lambda/fn", None,
    )  # fmt: skip


def no_invoke(
    _function: str, _payload: bytes, _request_id: str | None = None, _port: int | None = None
) -> Outcome:
    raise AssertionError("a constructor invoked a function")


def no_spawn(_config: FunctionConfig) -> Environment:
    raise AssertionError("a constructor started an environment")


def gateway(_tmp: Path) -> Gateway:
    model = ApiModel("api1", "api", "prod", "us-east-1", "123456789012", (), {}, None)
    return Gateway(model, no_invoke)


def unanswered(_request: Request) -> tuple[Response, Callable[[], None]]:
    raise AssertionError("a constructor handled a request")


def alarm_engine(tmp: Path) -> AlarmEngine:
    notifier = Notifier(Unused(), tmp, Unused(), Unused())
    return AlarmEngine(
        Unused(), MetricStore(), Clock(), notifier, "123456789012", "us-east-1", list,
        threading.Lock(),
    )  # fmt: skip


def edge(_tmp: Path) -> Edge:
    return Edge("127.0.0.1", 0, MotoBackend("127.0.0.1", 0))


CONSTRUCTORS: dict[str, Callable[[Path], Any]] = {
    "LocalStack": lambda tmp: LocalStack(options(tmp), RunOptions(port=free_port())),
    "Emulator": lambda _tmp: emulator.Emulator("127.0.0.1", free_port()),
    "Edge": edge,
    "EdgeHttpServer": lambda tmp: EdgeHttpServer(("127.0.0.1", free_port()), edge(tmp)),
    "MotoBackend": lambda _tmp: MotoBackend("127.0.0.1", 0),
    "HttpBackend": lambda _tmp: HttpBackend(f"http://127.0.0.1:{free_port()}"),
    "LocalApi": local_api,
    "Runtime": lambda _tmp: Runtime(lambda _r: ("python3", Path()), {}, no_logs),
    "FunctionPool": lambda tmp: FunctionPool(function_config(tmp), no_spawn),
    "Environment": lambda tmp: Environment(function_config(tmp), "python3", tmp, {}, no_logs),
    "RuntimeApiServer": lambda _tmp: RuntimeApiServer(),
    "ControlServer": lambda _tmp: ControlServer({}),
    "AlarmSchedule": lambda _tmp: AlarmSchedule(lambda: None),
    "AlarmEngine": alarm_engine,
    "GatewayHttpServer": lambda _tmp: GatewayHttpServer("127.0.0.1", free_port(), unanswered),
    "Gateway": gateway,
    "DeploymentWatcher": lambda tmp: DeploymentWatcher(
        Unused(), SnapshotStore(tmp), "api1", "prod", lambda: None
    ),
    "LogShipper": lambda _tmp: LogShipper(Unused()),
    "MetricPublisher": lambda _tmp: MetricPublisher(
        MetricStore(), Unused(), Clock(), threading.Lock()
    ),
    "LambdaInvoke": lambda _tmp: LambdaInvoke(
        dict, no_invoke, LogTap(no_logs), "us-east-1", "123456789012"
    ),
    "AsyncQueue": lambda _tmp: AsyncQueue(no_invoke),
    "MotoProcess": lambda _tmp: MotoProcess(),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructing_binds_nothing_starts_no_thread_and_no_process(
    name: str, tmp_path: Path
) -> None:
    with no_work():
        built = CONSTRUCTORS[name](tmp_path)
    assert built is not None


def test_start_is_where_servers_listen_and_stop_closes_them(tmp_path: Path) -> None:
    """The check above can fail: the same probe sees what start() binds."""
    servers = [
        ControlServer({}),
        RuntimeApiServer(),
        GatewayHttpServer("127.0.0.1", 0, unanswered),
        EdgeHttpServer(("127.0.0.1", 0), edge(tmp_path)),
    ]
    before = listening_inodes()
    for server in servers:
        server.start()
    try:
        assert len(listening_inodes() - before) == len(servers)
        assert all(server.port != 0 for server in servers)  # bound: the real port is known
    finally:
        for server in servers:
            server.stop()
    assert listening_inodes() - before == set()


def test_a_server_is_a_context_manager_serving_inside_the_block() -> None:
    before = listening_inodes()
    with GatewayHttpServer("127.0.0.1", 0, unanswered) as server:
        assert len(listening_inodes() - before) == 1
        assert server.thread is not None and server.thread.is_alive()
    assert listening_inodes() - before == set()
    assert not server.thread.is_alive()


def test_observers_send_from_a_thread_started_by_start_and_ended_by_stop() -> None:
    shipper = LogShipper(Unused())
    publisher = MetricPublisher(MetricStore(), Unused(), Clock(), threading.Lock())
    threads = set(threading.enumerate())
    with shipper, publisher:
        started = set(threading.enumerate()) - threads
        assert {t.name for t in started} == {"log-shipper", "metrics"}
    for thread in started:
        thread.join(timeout=10)
        assert not thread.is_alive()


def test_runtime_reaps_only_after_start() -> None:
    runtime = Runtime(lambda _r: ("python3", Path()), {}, no_logs)
    assert runtime.reaper_thread is None
    runtime.start()
    try:
        assert runtime.reaper_thread is not None and runtime.reaper_thread.is_alive()
    finally:
        runtime.stop()
