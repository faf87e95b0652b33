"""``localenv up --detach``: start the stack in the background and return once it is ready.

The background ``localenv up`` loads the whole harness (boto3, moto, the gateway);
the command that starts it need not. ``fast_path`` reads only the project and state
directories, so the stack starts while this process has loaded almost nothing;
every other form of the command line goes through the full parser
(localenv/commands.py).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from localenv.console import CliError, say
from localenv.workspace import RunRecord, RunStatus, Workspace, running

READY_TIMEOUT_SECONDS = 120
POLL_SECONDS = 0.01  # reading run.json costs microseconds; a coarser poll only adds latency
TOP_OPTIONS = frozenset({"--root", "--state-dir"})


def top_options(arguments: list[str]) -> dict[str, str] | None:
    """``--root``/``--state-dir`` of ``[top options] up ... --detach``, in their exact
    spellings; None for anything else (the full parser handles it)."""
    values: dict[str, str] = {}
    rest = list(arguments)
    while rest and rest[0] != "up":
        name, equals, value = rest.pop(0).partition("=")
        if name not in TOP_OPTIONS or (not equals and not rest):
            return None
        values[name] = value if equals else rest.pop(0)
    command = rest[1:]
    if not rest or "--detach" not in command or {"-h", "--help"} & set(command):
        return None
    return values


def fast_path(arguments: list[str]) -> int | None:
    """Start a detached ``up`` without loading the harness; None when this command line
    is not one (or a stack already runs here: the full command applies the template)."""
    options = top_options(arguments)
    if options is None:
        return None
    state = options.get("--state-dir")
    workspace = Workspace(
        Path(options.get("--root", ".")).resolve(), Path(state).resolve() if state else None
    )
    if running(workspace) is not None:
        return None
    return start_detached(workspace, [a for a in arguments if a != "--detach"])


def start_detached(workspace: Workspace, argv: list[str]) -> int:
    """Run ``localenv up`` (``argv``, without --detach) in the background; return once it
    reports ready (or failed)."""
    workspace.directory.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "localenv", *argv]
    with workspace.log_file.open("w") as log:
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        record = RunRecord.read(workspace)
        if record is not None and record.pid == child.pid and record.status == RunStatus.READY:
            say(f"localenv up: ready (pid {child.pid}); log: {workspace.log_file}")
            say_runtime_warnings(workspace)
            return 0
        if child.poll() is not None:
            raise CliError(f"localenv up failed:\n{workspace.log_file.read_text().strip()}")
        time.sleep(POLL_SECONDS)
    child.terminate()
    raise CliError(f"localenv up did not become ready in {READY_TIMEOUT_SECONDS} s")


def say_runtime_warnings(workspace: Workspace) -> None:
    """A missing interpreter or sandbox, said where the user looks."""
    from localenv.runtime import interpreters  # noqa: PLC0415 - only once the stack is up

    for message in interpreters.recorded_warnings(workspace.directory):
        say(message)
