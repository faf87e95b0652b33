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
from localenv.edge.backends import MotoBackend
from localenv.edge.server import Edge
from localenv.iam.enforcer import Mode
from localenv.iam.guard import IamGuard
from localenv.local_api import LocalApi
from localenv.local_stack import LocalStack, RunOptions
from localenv.observe.clock import Clock
from localenv.observe.control import ControlServer
from localenv.pytest_plugin import free_port
from localenv.runtime.pool import Runtime
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


CONSTRUCTORS: dict[str, Callable[[Path], Any]] = {
    "LocalStack": lambda tmp: LocalStack(options(tmp), RunOptions(port=free_port())),
    "Emulator": lambda _tmp: emulator.Emulator("127.0.0.1", free_port()),
    "Edge": lambda _tmp: Edge("127.0.0.1", 0, MotoBackend("127.0.0.1", 0)),
    "LocalApi": local_api,
    "Runtime": lambda _tmp: Runtime(lambda _r: ("python3", Path()), {}, no_logs),
    "RuntimeApiServer": lambda _tmp: RuntimeApiServer(),
    "ControlServer": lambda _tmp: ControlServer({}),
    "AlarmSchedule": lambda _tmp: AlarmSchedule(lambda: None),
}


@pytest.mark.parametrize("name", sorted(CONSTRUCTORS))
def test_constructing_binds_nothing_starts_no_thread_and_no_process(
    name: str, tmp_path: Path
) -> None:
    with no_work():
        built = CONSTRUCTORS[name](tmp_path)
    assert built is not None


def test_start_is_where_servers_listen_and_stop_closes_them() -> None:
    """The check above can fail: the same probe sees what start() binds."""
    control, runtime_api = ControlServer({}), RuntimeApiServer()
    before = listening_inodes()
    control.start()
    runtime_api.start()
    try:
        assert len(listening_inodes() - before) == 2
        assert control.url.startswith("http://127.0.0.1:") and not control.url.endswith(":0")
    finally:
        control.stop()
        runtime_api.stop()
    assert listening_inodes() - before == set()


def test_runtime_reaps_only_after_start() -> None:
    runtime = Runtime(lambda _r: ("python3", Path()), {}, no_logs)
    assert runtime.reaper_thread is None
    runtime.start()
    try:
        assert runtime.reaper_thread is not None and runtime.reaper_thread.is_alive()
    finally:
        runtime.stop()
