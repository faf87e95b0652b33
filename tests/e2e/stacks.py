"""Helpers the E2E files share: a stack for the length of a block, a process's children."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from localenv.pytest_plugin import StackProcess
from tests.template_model import ROOT


@contextmanager
def running(state_dir: Path, *args: str, root: Path = ROOT) -> Iterator[StackProcess]:
    """`localenv up --detach` with these arguments; `localenv down` when the block ends."""
    process = StackProcess.start(root, state_dir, *args)
    try:
        yield process
    finally:
        process.stop()


def children_of(pid: int) -> list[int]:
    """The pids whose parent is `pid` (from /proc: no psutil needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found
