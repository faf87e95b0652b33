"""Ctrl-C on a foreground ``localenv up``: a clean stop, exit 0, no traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localenv.pytest_plugin import free_port
from localenv.workspace import alive
from tests.e2e.stacks import children_of
from tests.template_model import ROOT

DEMO_DONE = "  GET "  # the demo's last line: warm environments wait on their Runtime API


def wait_for(condition_met: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition_met) and condition_met():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds} s")


def test_ctrl_c_on_foreground_up_exits_0_with_no_traceback(tmp_path: Path) -> None:
    state, stdout = tmp_path / "state", tmp_path / "stdout.txt"
    command = [
        *(sys.executable, "-m", "localenv", "--root", str(ROOT), "--state-dir", str(state)),
        *("up", "--demo", "--stack-name", "sigint"),
        *("--port", str(free_port()), "--api-port", str(free_port())),
    ]
    with stdout.open("w") as out:
        # Its own process group, as a shell gives a foreground job: Ctrl-C reaches the group.
        up = subprocess.Popen(
            command, stdout=out, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
    try:
        wait_for(lambda: DEMO_DONE in stdout.read_text() or up.poll() is not None, 180, "ready")
        assert up.poll() is None, stdout.read_text()
        record = json.loads((state / "run.json").read_text())
        workers = children_of(up.pid)
        assert workers, "the demo left warm environments"
        os.killpg(up.pid, signal.SIGINT)
        _, stderr = up.communicate(timeout=60)
    finally:
        if up.poll() is None:
            os.killpg(up.pid, signal.SIGKILL)
    assert up.returncode == 0
    assert stderr == ""
    assert stdout.read_text().splitlines()[-1] == "stopping"
    assert not (state / "run.json").exists()
    assert not alive(record["pid"])
    wait_for(lambda: not any(alive(pid) for pid in workers), 30, "no worker left")
